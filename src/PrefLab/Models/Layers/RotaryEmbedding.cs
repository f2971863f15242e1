using PrefLab.Models.Config;
using static TorchSharp.torch;

namespace PrefLab.Models.Layers;

/// <summary>
/// Rotary position embedding in Hugging Face's <c>rotate_half</c> convention: the two halves of each head's
/// vector form the rotated pairs, <c>x*cos + rotate_half(x)*sin</c> with <c>rotate_half(x) = cat(-x2, x1)</c>.
/// Computed as <c>x*cos + roll(x, D/2)*sin_signed</c> (sin_signed = cat(-sin, sin)): the same numbers in fewer
/// operations. Not a module: inv_freq is derived from the config, never saved.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    readonly Tensor inverseFrequencies; // [D/2] float32
    readonly int headDim;

    public RotaryEmbedding(RopeConfig rope, int headDim)
    {
        this.headDim = headDim;
        inverseFrequencies = rope.InverseFrequencies(headDim).DetachFromDisposeScope();
    }

    /// <summary>positionIds [B, T] (or [1, T]) -> cos and signed sin, each [B, 1, T, D] float32.</summary>
    public (Tensor Cos, Tensor SinSigned) CosSin(Tensor positionIds)
    {
        using var scope = NewDisposeScope();
        // freqs[b, t, i] = position[b, t] * inv_freq[i], in float32 as Hugging Face computes it.
        var freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inverseFrequencies; // [B, T, D/2]
        var cos = freqs.cos();
        var sin = freqs.sin();
        var cosFull = cat(new[] { cos, cos }, -1).unsqueeze(1);          // [B, 1, T, D]
        var sinSigned = cat(new[] { sin.neg(), sin }, -1).unsqueeze(1);   // [B, 1, T, D]
        return (cosFull.MoveToOuterDisposeScope(), sinSigned.MoveToOuterDisposeScope());
    }

    /// <summary>x [B, heads, T, D] -> rotated, same shape.</summary>
    public Tensor Apply(Tensor x, Tensor cos, Tensor sinSigned)
    {
        using var rolled = x.roll(headDim / 2, -1); // cat(x2, x1)
        using var scaled = x * cos;
        return scaled.addcmul(rolled, sinSigned, 1);
    }

    public void Dispose() => inverseFrequencies.Dispose();
}
