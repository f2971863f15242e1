using PrefLab.Data.Collation;
using PrefLab.Training;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>
/// The micro-batches in which a split's pairs go through the model. A float32 forward pass gives a sequence
/// the same token log-probs whatever the other rows of its batch are, but not whatever its padded length is
/// (the attention and log-softmax reductions round differently over a longer row). So the reference pass runs
/// the training data in the micro-batches of the first epoch and the held-out data in the evaluation's
/// batches: at the first step, where policy == reference, the two computations are the same bit for bit, the
/// loss is exactly ln 2 and every implicit reward exactly 0, with a cached reference as with a live one.
/// </summary>
public sealed record PairLayout(IReadOnlyList<int[]> Batches)
{
    /// <summary>The micro-batches of the first epoch of <paramref name="plan"/>, in order.</summary>
    public static PairLayout FirstEpoch(BatchPlan plan) => new(plan.Epoch(0).SelectMany(step => step).ToList());

    /// <summary>Consecutive batches of <paramref name="batchSize"/> pairs: how held-out data is evaluated.</summary>
    public static PairLayout Sequential(int count, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be at least 1");
        var batches = new List<int[]>();
        for (int start = 0; start < count; start += batchSize)
            batches.Add(Enumerable.Range(start, Math.Min(batchSize, count - start)).ToArray());
        return new PairLayout(batches);
    }

    /// <summary>The length every pair is padded to in its batch (what its values depend on besides its tokens).
    /// Throws unless every pair appears exactly once.</summary>
    public int[] PaddedLengths(IReadOnlyList<TokenizedPair> pairs)
    {
        var padded = new int[pairs.Count];
        var seen = new bool[pairs.Count];
        foreach (var batch in Batches)
        {
            int length = batch.Max(i => pairs[i].Length);
            foreach (int i in batch)
            {
                if (seen[i]) throw new ArgumentException($"pair {i} appears twice in the layout");
                seen[i] = true;
                padded[i] = length;
            }
        }
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0) throw new ArgumentException($"pair {missing} is in no batch of the layout");
        return padded;
    }
}
