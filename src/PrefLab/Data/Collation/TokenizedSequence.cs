namespace PrefLab.Data.Collation;

/// <summary>
/// One training sequence: token ids and which tokens are completion tokens the model learns to produce
/// (<see cref="LossMask"/>[i] = token i is a target; the causal shift is applied by the loss math, so the
/// first token is never a target). A packed row (<see cref="SequencePacker"/>) also carries
/// <see cref="Segments"/>: which example each token belongs to (1..k), so the model keeps them apart.
/// </summary>
public sealed record TokenizedSequence(int[] Ids, bool[] LossMask, int[]? Segments = null)
{
    public int Length => Ids.Length;
    public int LossTokens => LossMask.Count(m => m);
}

/// <summary>A preference pair as two sequences sharing a prompt of <see cref="PromptLength"/> tokens.</summary>
public sealed record TokenizedPair(TokenizedSequence Chosen, TokenizedSequence Rejected, int PromptLength, double? Margin)
{
    public int Length => Math.Max(Chosen.Length, Rejected.Length);
}

/// <summary>What to do with a sequence longer than --max-length.</summary>
public enum TruncationPolicy
{
    /// <summary>Drop the example and count it.</summary>
    Drop,
    /// <summary>Cut the completion's tail and count it; an example with no completion token left is dropped.</summary>
    Truncate,
}
