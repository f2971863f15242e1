using static TorchSharp.torch;

namespace PrefLab.Models.LogProbs;

/// <summary>
/// Mask conventions shared by every function under <c>PrefLab.Algorithms</c>: a mask is a bool tensor, or a
/// floating/integer tensor of 0 and 1, of the same shape as the values it selects. Selection always goes through
/// <c>where</c> (never <c>values * mask</c>), so a masked position may hold anything, even NaN or infinity, and
/// still contributes nothing to a value or a gradient.
/// </summary>
public static class Masks
{
    /// <summary>The mask as a bool tensor (nonzero = selected). [same shape]</summary>
    public static Tensor AsBool(Tensor mask) =>
        mask.dtype == ScalarType.Bool ? mask.alias() : mask.ne(0);

    /// <summary>The mask as 0/1 in the given floating dtype. [same shape]</summary>
    public static Tensor AsFloat(Tensor mask, ScalarType dtype) =>
        mask.dtype == ScalarType.Bool ? mask.to_type(dtype) : mask.ne(0).to_type(dtype);

    /// <summary>
    /// The values where the mask is set and <paramref name="fill"/> elsewhere. Use it on inputs before any
    /// nonlinear op (exp, log, square), so garbage at masked positions cannot produce NaN gradients through
    /// <c>where</c>'s unselected branch. [same shape]
    /// </summary>
    public static Tensor Fill(Tensor values, Tensor mask, double fill = 0.0)
    {
        using var scope = NewDisposeScope();
        return values.masked_fill(AsBool(mask).logical_not(), fill).MoveToOuterDisposeScope();
    }

    /// <summary>True when every row of a [batch, seq] mask is a run of ones followed only by zeros (right padding).</summary>
    public static bool IsRightPadded(Tensor mask)
    {
        using var scope = NewDisposeScope();
        var selected = AsBool(mask);
        if (selected.shape[^1] < 2) return true;
        long last = selected.shape[^1];
        var previous = selected.narrow(-1, 0, last - 1);
        var next = selected.narrow(-1, 1, last - 1);
        // A one that follows a zero breaks right padding.
        return !next.logical_and(previous.logical_not()).any().item<bool>();
    }

    internal static void RequireSameShape(string what, Tensor a, string whatB, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"{what} has shape [{string.Join(", ", a.shape)}] but {whatB} has shape [{string.Join(", ", b.shape)}]; they must match.");
    }

    internal static void RequireFloating(string what, Tensor t)
    {
        if (!t.is_floating_point())
            throw new ArgumentException($"{what} must be a floating-point tensor, not {t.dtype}.");
    }

    internal static void RequireDim(string what, Tensor t, int dims)
    {
        if (t.dim() != dims)
            throw new ArgumentException($"{what} must have {dims} dimension(s), not {t.dim()} (shape [{string.Join(", ", t.shape)}]).");
    }
}
