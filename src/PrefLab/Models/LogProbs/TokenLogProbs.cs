using static TorchSharp.torch;

namespace PrefLab.Models.LogProbs;

/// <summary>Targets for a causal LM after the one-position shift (see <see cref="TokenLogProbs.Shift"/>).</summary>
/// <param name="Logits">[batch, seq-1, vocab]: logits[:, :-1], a view of the model output.</param>
/// <param name="Labels">[batch, seq-1] int64: input_ids[:, 1:].</param>
/// <param name="Mask">[batch, seq-1]: completion_mask[:, 1:], same dtype as the mask given.</param>
public sealed record ShiftedTargets(Tensor Logits, Tensor Labels, Tensor Mask);

/// <summary>Per-token log-probs of a completion and the mask that says which of them count.</summary>
/// <param name="LogProbs">[batch, seq-1]: log π_T(input_ids[t+1] | input_ids[..t]); 0 where the mask is 0.</param>
/// <param name="Mask">[batch, seq-1]: completion_mask[:, 1:].</param>
public sealed record CompletionLogProbs(Tensor LogProbs, Tensor Mask);

/// <summary>
/// Token log-probabilities and entropies from logits, at a sampling temperature.
///
/// Shift convention (causal LM, as Hugging Face): the logits at position t predict the token at position t+1.
/// So for input ids x[0..S) the scored pairs are (logits[t], x[t+1]) for t in [0, S-1), and a completion mask over
/// input positions (1 on completion tokens) becomes mask[:, 1:]. Position 0 is never scored (nothing predicts it).
///
/// Temperature: log π_T(y) = log_softmax(logits / T)[y]. PPO's training forward must use the sampling
/// temperature (DESIGN: 0.7), otherwise the ratio on the first minibatch is not 1. OpenRLHF divides the logits
/// in place (<c>logits.div_(T)</c>), which silently alters the caller's tensor; we never modify inputs.
/// </summary>
public static class TokenLogProbs
{
    /// <summary>
    /// log_softmax(logits / T) gathered at <paramref name="labels"/>, computed as z[y] - logsumexp(z) so that no
    /// second [batch, seq, vocab] tensor is materialised (OpenRLHF's form). Half-precision logits are upcast to
    /// float32 first (bf16 log-softmax loses ~2 digits). Differentiable w.r.t. logits.
    /// [batch, seq, vocab], [batch, seq] int64 -> [batch, seq].
    /// </summary>
    public static Tensor Gather(Tensor logits, Tensor labels, double temperature = 1.0)
    {
        RequireTemperature(temperature);
        if (logits.dim() != labels.dim() + 1 || !logits.shape[..^1].SequenceEqual(labels.shape))
            throw new ArgumentException($"labels of shape [{string.Join(", ", labels.shape)}] do not match logits of shape [{string.Join(", ", logits.shape)}] (expected logits = labels + [vocab]).");
        using var scope = NewDisposeScope();
        var z = Tempered(logits, temperature);
        var picked = z.gather(-1, labels.to_type(ScalarType.Int64).unsqueeze(-1)).squeeze(-1);
        return (picked - z.logsumexp(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// As <see cref="Gather(Tensor, Tensor, double)"/>, with the result 0 where <paramref name="mask"/> is 0.
    /// Labels at masked positions may be anything (a pad id, -100): they are replaced by 0 before the gather. Finite
    /// logits at masked positions change neither the result nor the gradient; NaN logits there would still poison the
    /// gradient through logsumexp (sanitising the whole [batch, seq, vocab] tensor would cost a copy of it).
    /// </summary>
    public static Tensor Gather(Tensor logits, Tensor labels, Tensor mask, double temperature = 1.0)
    {
        Masks.RequireSameShape("labels", labels, "mask", mask);
        using var scope = NewDisposeScope();
        var safeLabels = labels.to_type(ScalarType.Int64).masked_fill(Masks.AsBool(mask).logical_not(), 0);
        return Masks.Fill(Gather(logits, safeLabels, temperature), mask).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The causal shift: logits[:, :-1] predict input_ids[:, 1:], scored where completion_mask[:, 1:] is set.
    /// [batch, seq, vocab], [batch, seq], [batch, seq] -> [batch, seq-1, vocab], [batch, seq-1], [batch, seq-1].
    /// </summary>
    public static ShiftedTargets Shift(Tensor logits, Tensor inputIds, Tensor completionMask)
    {
        Masks.RequireDim("logits", logits, 3);
        Masks.RequireDim("input ids", inputIds, 2);
        Masks.RequireSameShape("input ids", inputIds, "completion mask", completionMask);
        if (logits.shape[0] != inputIds.shape[0] || logits.shape[1] != inputIds.shape[1])
            throw new ArgumentException($"logits [{string.Join(", ", logits.shape)}] do not cover input ids [{string.Join(", ", inputIds.shape)}].");
        long seq = inputIds.shape[1];
        if (seq < 2) throw new ArgumentException("a sequence needs at least two tokens to score one (the first is never predicted).");
        return new ShiftedTargets(
            logits.narrow(1, 0, seq - 1),
            inputIds.narrow(1, 1, seq - 1).to_type(ScalarType.Int64),
            completionMask.narrow(1, 1, seq - 1));
    }

    /// <summary>
    /// Per-token log-probs of the completion tokens of <paramref name="inputIds"/> given the model's logits over the
    /// same ids: shift, temper, gather, zero outside the completion. Sum the result per row
    /// (<see cref="Sequences.LogProb"/>) for sequence log-probs.
    /// [batch, seq, vocab], [batch, seq], [batch, seq] -> [batch, seq-1] twice.
    /// </summary>
    public static CompletionLogProbs OfCompletion(Tensor logits, Tensor inputIds, Tensor completionMask, double temperature = 1.0)
    {
        var shifted = Shift(logits, inputIds, completionMask);
        return new CompletionLogProbs(Gather(shifted.Logits, shifted.Labels, shifted.Mask, temperature), shifted.Mask);
    }

    /// <summary>
    /// Entropy in nats of the tempered next-token distribution at each position:
    /// H = logsumexp(z) - Σ_v softmax(z)_v z_v with z = logits / T (TRL's form). A logit of -inf (a banned
    /// token) has probability 0 and contributes 0, not NaN (0 · -inf). Differentiable.
    /// [batch, seq, vocab] -> [batch, seq].
    /// </summary>
    public static Tensor Entropy(Tensor logits, double temperature = 1.0)
    {
        RequireTemperature(temperature);
        using var scope = NewDisposeScope();
        var z = Tempered(logits, temperature);
        var probabilities = z.softmax(-1);
        var finite = z.masked_fill(isneginf(z), 0.0);
        return (z.logsumexp(-1) - (probabilities * finite).sum(-1)).MoveToOuterDisposeScope();
    }

    static Tensor Tempered(Tensor logits, double temperature)
    {
        Masks.RequireFloating("logits", logits);
        var z = logits.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? logits.to_type(ScalarType.Float32) : logits.alias();
        return temperature == 1.0 ? z : z.div(temperature);
    }

    static void RequireTemperature(double temperature)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be a positive finite number");
    }
}
