using static TorchSharp.torch;

namespace PrefLab.Generation;

/// <summary>
/// The next-token score transforms of Hugging Face's generate, as pure functions over [batch, vocab] float
/// scores (never modified in place; results land in the caller's dispose scope). Removed tokens get -inf.
/// </summary>
public static class LogitsProcessors
{
    /// <summary>Bans <paramref name="tokenIds"/> (Hugging Face's MinNewTokensLengthLogitsProcessor while the
    /// minimum is not reached). [B, V] -> [B, V]</summary>
    public static Tensor Suppress(Tensor scores, IReadOnlyList<int> tokenIds)
    {
        if (tokenIds.Count == 0) return scores.alias();
        var flags = new bool[scores.shape[^1]];
        foreach (int id in tokenIds)
            if (id >= 0 && id < flags.Length) flags[id] = true;
        using var banned = tensor(flags); // [V], broadcast over rows
        return scores.masked_fill(banned, double.NegativeInfinity);
    }

    /// <summary>scores / T, computed as TokenLogProbs does (a division), so the sampled distribution and the
    /// reported log-probs use the same numbers. [B, V] -> [B, V]</summary>
    public static Tensor Temper(Tensor scores, double temperature)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be a positive finite number");
        return temperature == 1.0 ? scores.alias() : scores.div(temperature);
    }

    /// <summary>
    /// Hugging Face's TopKLogitsWarper: k = min(max(k, minKeep), V); every token scoring below the k-th highest
    /// score is removed, so tokens tied with the k-th are all kept (more than k may survive). [B, V] -> [B, V]
    /// </summary>
    public static Tensor TopK(Tensor scores, int k, int minTokensToKeep = 1)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "top-k must be at least 1");
        long vocab = scores.shape[^1];
        int keep = (int)Math.Min(Math.Max(k, minTokensToKeep), vocab);
        if (keep == vocab) return scores.alias();
        using var scope = NewDisposeScope();
        var (top, _) = scores.topk(keep, -1);
        var kth = top.narrow(-1, keep - 1, 1); // [B, 1]
        return scores.masked_fill(scores.lt(kth), double.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Hugging Face's TopPLogitsWarper: sort the scores ascending, remove the tokens whose cumulative
    /// probability (ascending) is &lt;= 1 - p, but never the <paramref name="minTokensToKeep"/> most probable ones.
    /// Equivalently: keep the most probable tokens up to and including the first one at which the mass reaches p.
    /// Ties at the boundary: the sort is stable, so among equal scores the lower ids come first in ascending
    /// order and are removed first. p = 1 removes only tokens of probability 0. [B, V] -> [B, V]
    /// </summary>
    public static Tensor TopP(Tensor scores, double p, int minTokensToKeep = 1)
    {
        if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "top-p must be in (0, 1]");
        long vocab = scores.shape[^1];
        int keep = (int)Math.Min(Math.Max(minTokensToKeep, 1), vocab);
        using var scope = NewDisposeScope();
        var (sorted, order) = scores.sort(-1, descending: false, stable: true);
        var cumulative = sorted.softmax(-1).cumsum(-1);
        var remove = cumulative.le(1 - p);
        remove.narrow(-1, vocab - keep, keep).fill_(false);
        var removeById = remove.scatter(-1, order, remove);
        return scores.masked_fill(removeById, double.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The whole chain for one step, in Hugging Face's order: EOS suppressed when <paramref name="suppressEos"/>,
    /// then (when sampling) temperature, top-k, top-p. Greedy decoding gets the suppression only.
    /// [B, V] -> [B, V]
    /// </summary>
    public static Tensor Apply(Tensor logits, GenerationOptions options, IReadOnlyList<int> eosIds, bool suppressEos)
    {
        using var scope = NewDisposeScope();
        var scores = logits.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? logits.to_type(ScalarType.Float32) : logits;
        if (suppressEos) scores = Suppress(scores, eosIds);
        if (!options.IsGreedy)
        {
            scores = Temper(scores, options.Temperature);
            if (options.TopK is int k) scores = TopK(scores, k);
            if (options.TopP is double p && p < 1) scores = TopP(scores, p);
        }
        return scores.alias().MoveToOuterDisposeScope();
    }
}
