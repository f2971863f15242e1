using static TorchSharp.torch;

namespace PrefLab.Generation;

/// <summary>Turns processed scores into token ids.</summary>
public static class TokenSampler
{
    /// <summary>The highest-scoring token of each row (the first on ties). [B, V] -> int64 [B]</summary>
    public static Tensor Greedy(Tensor scores) => scores.argmax(-1);

    /// <summary>
    /// One draw per row from softmax(scores) by inverse transform: the token t with
    /// cdf[t-1] &lt;= u * cdf[V-1] &lt; cdf[t] (cdf in float64), so a token of probability 0 is never drawn and
    /// each row's draw depends only on its own scores and its own uniform u in [0, 1).
    /// [B, V], float64 [B] -> int64 [B]
    /// </summary>
    public static Tensor Sample(Tensor scores, Tensor uniforms)
    {
        if (scores.dim() != 2 || uniforms.dim() != 1 || uniforms.shape[0] != scores.shape[0])
            throw new ArgumentException($"scores must be [batch, vocab] and uniforms [batch], not [{string.Join(", ", scores.shape)}] and [{string.Join(", ", uniforms.shape)}]");
        long vocab = scores.shape[1];
        using var scope = NewDisposeScope();
        var cdf = scores.to_type(ScalarType.Float64).softmax(-1).cumsum(-1);          // [B, V]
        var target = uniforms.to_type(ScalarType.Float64).unsqueeze(1) * cdf.narrow(1, vocab - 1, 1); // [B, 1]
        var picked = searchsorted(cdf, target, right: true).squeeze(1).clamp_max(vocab - 1);
        return picked.MoveToOuterDisposeScope();
    }
}
