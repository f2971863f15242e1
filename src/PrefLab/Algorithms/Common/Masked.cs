using PrefLab.Models.LogProbs;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Common;

/// <summary>
/// Reductions over the selected elements of a tensor (see <see cref="Masks"/> for the mask convention).
/// All are differentiable with respect to <c>values</c>, work in the values' dtype (float32 or float64) and never
/// produce NaN for an empty selection: the masked mean of an empty row is 0 (OpenRLHF's <c>masked_mean</c> divides
/// by zero there; TRL's GRPO clamps the count to 1, as we do).
/// </summary>
public static class Masked
{
    /// <summary>Σ values over selected elements. [any] -> 0-dim.</summary>
    public static Tensor Sum(Tensor values, Tensor mask)
    {
        Masks.RequireSameShape("values", values, "mask", mask);
        using var scope = NewDisposeScope();
        return Masks.Fill(values, mask).sum().MoveToOuterDisposeScope();
    }

    /// <summary>Σ values over selected elements along <paramref name="dim"/>. [batch, seq] -> [batch] for dim -1.</summary>
    public static Tensor Sum(Tensor values, Tensor mask, long dim, bool keepdim = false)
    {
        Masks.RequireSameShape("values", values, "mask", mask);
        using var scope = NewDisposeScope();
        return Masks.Fill(values, mask).sum(dim, keepdim).MoveToOuterDisposeScope();
    }

    /// <summary>Number of selected elements, in <paramref name="dtype"/>. [any] -> 0-dim.</summary>
    public static Tensor Count(Tensor mask, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        return Masks.AsFloat(mask, dtype).sum().MoveToOuterDisposeScope();
    }

    /// <summary>Number of selected elements along <paramref name="dim"/>, in <paramref name="dtype"/>. [batch, seq] -> [batch].</summary>
    public static Tensor Count(Tensor mask, ScalarType dtype, long dim, bool keepdim = false)
    {
        using var scope = NewDisposeScope();
        return Masks.AsFloat(mask, dtype).sum(dim, keepdim).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean over all selected elements: Σ_selected v / max(count, 1). 0 when nothing is selected. [any] -> 0-dim.
    /// </summary>
    public static Tensor Mean(Tensor values, Tensor mask)
    {
        Masks.RequireSameShape("values", values, "mask", mask);
        using var scope = NewDisposeScope();
        var count = Count(mask, values.dtype).clamp_min(1.0);
        return Masks.Fill(values, mask).sum().div(count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean over selected elements along <paramref name="dim"/>: Σ_selected v / max(count, 1); an empty row gives
    /// 0. [batch, seq] -> [batch] for dim -1.
    /// </summary>
    public static Tensor Mean(Tensor values, Tensor mask, long dim, bool keepdim = false)
    {
        Masks.RequireSameShape("values", values, "mask", mask);
        using var scope = NewDisposeScope();
        var count = Count(mask, values.dtype, dim, keepdim).clamp_min(1.0);
        return Masks.Fill(values, mask).sum(dim, keepdim).div(count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Variance over all selected elements (one number for the whole tensor, as TRL's <c>masked_var</c>):
    /// Σ (v - mean)² / (n - 1) when <paramref name="unbiased"/> (Bessel's correction, TRL's default), / n
    /// otherwise. With fewer than two selected elements (unbiased) or none (biased) it is 0 rather than NaN or
    /// infinity (TRL raises for an empty mask and divides by zero for a single element). [any] -> 0-dim.
    /// </summary>
    public static Tensor Variance(Tensor values, Tensor mask, bool unbiased = true)
    {
        Masks.RequireSameShape("values", values, "mask", mask);
        using var scope = NewDisposeScope();
        var mean = Mean(values, mask);
        var centered = Masks.Fill(values - mean, mask);
        var count = Count(mask, values.dtype);
        var denominator = (unbiased ? count - 1.0 : count).clamp_min(1.0);
        return centered.Squared().sum().div(denominator).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whitening with statistics over the selected elements only (TRL's <c>masked_whiten</c>):
    /// (v - mean) / sqrt(var + eps), var unbiased; with <paramref name="shiftMean"/> false the mean is added back
    /// (scale only, TRL's choice for whitening rewards). Masked positions are 0 in the result (TRL fills them with 0
    /// after whitening advantages). [any] -> [same shape].
    /// </summary>
    public static Tensor Whiten(Tensor values, Tensor mask, bool shiftMean = true, double epsilon = 1e-8)
    {
        Masks.RequireSameShape("values", values, "mask", mask);
        if (!(epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "must be >= 0");
        using var scope = NewDisposeScope();
        // Zero the masked positions first: garbage there must not reach the statistics' gradients.
        var selected = Masks.Fill(values, mask);
        var mean = Mean(selected, mask);
        var variance = Variance(selected, mask, unbiased: true);
        var whitened = (selected - mean) * (variance + epsilon).rsqrt();
        if (!shiftMean) whitened = whitened + mean;
        return Masks.Fill(whitened, mask).MoveToOuterDisposeScope();
    }
}
