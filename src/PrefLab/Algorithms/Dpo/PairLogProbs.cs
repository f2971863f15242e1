using PrefLab.Algorithms.Common;
using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo;

/// <summary>
/// Summed completion log-probs of a batch of pairs, chosen and rejected side by side.
/// </summary>
/// <param name="Chosen">[pairs] float64: log π(chosen | prompt), summed over the final assistant turn's tokens.</param>
/// <param name="Rejected">[pairs] float64.</param>
/// <param name="ChosenLengths">[pairs] int64: completion tokens scored.</param>
/// <param name="RejectedLengths">[pairs] int64.</param>
public sealed record PairLogProbs(Tensor Chosen, Tensor Rejected, Tensor ChosenLengths, Tensor RejectedLengths)
{
    /// <summary>
    /// One forward pass of <paramref name="model"/> over a <see cref="Collator.PadPairs"/> batch (rows 0..n-1 chosen,
    /// n..2n-1 rejected, [2n, T]). Token log-probs are float32 as the model gives them; their sums are taken in
    /// float64, so a sequence's value does not depend on how many padding zeros the reduction runs over.
    /// Differentiable when grad is enabled. The tensors live in the caller's dispose scope. Large vocabularies take
    /// the log-probs in chunks of positions (<paramref name="chunking"/>, default <see cref="LogitChunking.Auto"/>).
    /// </summary>
    public static PairLogProbs Of(CausalLM model, TokenBatch batch, LogitChunking? chunking = null)
    {
        long rows = batch.InputIds.shape[0];
        if (rows % 2 != 0) throw new ArgumentException($"a pair batch has an even number of rows (chosen then rejected), not {rows}", nameof(batch));
        long pairs = rows / 2;
        var tokens = ModelLogProbs.OfCompletion(model, batch.InputIds, batch.AttentionMask, batch.LossMask, 1.0, chunking); // [2n, T-1]
        var sums = Sequences.LogProb(tokens.LogProbs.to_type(ScalarType.Float64), tokens.Mask); // [2n]
        var lengths = Sequences.Lengths(tokens.Mask);                                          // [2n] int64
        return new PairLogProbs(sums.narrow(0, 0, pairs), sums.narrow(0, pairs, pairs),
            lengths.narrow(0, 0, pairs), lengths.narrow(0, pairs, pairs));
    }
}
