using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Common;

/// <summary>
/// Per-sequence quantities from per-token ones: lengths, sequence log-probs (masked sums, as DPO and the RM use
/// them) and length-averaged log-probs (IPO, SimPO, dpo-norm).
/// </summary>
public static class Sequences
{
    /// <summary>Number of selected tokens per row, as int64. [batch, seq] -> [batch].</summary>
    public static Tensor Lengths(Tensor mask)
    {
        Masks.RequireDim("mask", mask, 2);
        using var scope = NewDisposeScope();
        return Masks.AsBool(mask).sum(1, false, ScalarType.Int64).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sequence log-prob log π(y|x) = Σ_t m_t log π(y_t | x, y_&lt;t): the masked sum of token log-probs.
    /// An empty row gives 0. [batch, seq] -> [batch].
    /// </summary>
    public static Tensor LogProb(Tensor tokenLogProbs, Tensor mask) => Masked.Sum(tokenLogProbs, mask, -1);

    /// <summary>
    /// Length-averaged log-prob (1/|y|) Σ_t m_t log π(y_t | ...), the masked mean; an empty row gives 0.
    /// [batch, seq] -> [batch].
    /// </summary>
    public static Tensor MeanLogProb(Tensor tokenLogProbs, Tensor mask) => Masked.Mean(tokenLogProbs, mask, -1);

    /// <summary>
    /// Index of the last selected position of each row (for a response mask that covers tokens up to and
    /// including EOS, the EOS index; for right-padded rows, length - 1). Works for any mask, not only right-padded
    /// ones (OpenRLHF's flip-and-argmax). Throws if a row selects nothing, because such a row has no last token.
    /// [batch, seq] -> [batch] int64.
    /// </summary>
    public static Tensor LastIndex(Tensor mask)
    {
        Masks.RequireDim("mask", mask, 2);
        using var scope = NewDisposeScope();
        var selected = Masks.AsBool(mask);
        if (!selected.any(1).all().item<bool>())
            throw new ArgumentException("a row of the mask selects no token, so it has no last index (empty response?)");
        long seq = selected.shape[1];
        // argmax returns the first maximum: on the flipped row that is the last selected position.
        var fromEnd = selected.flip(1).to_type(ScalarType.Int32).argmax(1);
        return (seq - 1 - fromEnd).MoveToOuterDisposeScope();
    }
}
