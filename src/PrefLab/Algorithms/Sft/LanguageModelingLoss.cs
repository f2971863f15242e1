using static TorchSharp.torch;

namespace PrefLab.Algorithms.Sft;

/// <summary>
/// Next-token cross-entropy over completion tokens, the loss of pretraining and SFT. Logits at position t
/// predict token t+1 (the causal shift of <see cref="Common.TokenLogProbs"/>); a token is a target when its
/// loss mask is 1, so the first token never is. Returns SUMS so a caller can normalise by the loss-bearing
/// tokens of a whole accumulated batch.
/// </summary>
public static class LanguageModelingLoss
{
    /// <summary>The number of targets: loss-mask ones after the first position.</summary>
    public static int Targets(bool[] lossMask)
    {
        int n = 0;
        for (int i = 1; i < lossMask.Length; i++) if (lossMask[i]) n++;
        return n;
    }

    /// <param name="logits">[batch, seq, vocab].</param>
    /// <param name="inputIds">[batch, seq] int64.</param>
    /// <param name="lossMask">[batch, seq], 1 where the token is a target.</param>
    /// <returns>(summed negative log-likelihood — a scalar with gradient, correct predictions, targets).</returns>
    public static (Tensor NllSum, Tensor Correct, Tensor Count) Sum(Tensor logits, Tensor inputIds, Tensor lossMask)
    {
        long vocab = logits.shape[2];
        var shiftedLogits = logits[.., ..^1, ..].reshape(-1, vocab);            // [B*(S-1), V]
        var targets = inputIds[.., 1..].reshape(-1);                             // [B*(S-1)]
        var mask = lossMask[.., 1..].reshape(-1).to(ScalarType.Bool);           // [B*(S-1)]
        // Non-targets get ignore_index so cross_entropy skips them entirely (no log-softmax garbage enters).
        var labels = targets.masked_fill(mask.logical_not(), -100);
        var nll = nn.functional.cross_entropy(shiftedLogits, labels, ignore_index: -100, reduction: nn.Reduction.Sum);
        using var noGrad = no_grad();
        var correct = shiftedLogits.argmax(-1).eq(targets).logical_and(mask).sum();
        return (nll, correct, mask.sum());
    }
}
