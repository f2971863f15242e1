using PrefLab.Runtime;

namespace PrefLab.Training;

/// <summary>
/// Which examples make each optimizer step, as a pure function of (seed, epoch): a resumed run recomputes the
/// same order and skips to its position, so nothing about the data order needs saving. Each step's examples
/// (an effective batch) are split into micro-batches of <c>batchSize</c>; with bucketing, examples of similar
/// length share a step so micro-batches carry little padding, and the steps' order is shuffled.
/// </summary>
public sealed class BatchPlan
{
    // Bucketing sorts within windows of this many effective batches: enough to group lengths well, small
    // enough to keep each step a random mix of the data.
    const int BucketWindowBatches = 16;

    readonly int count, batchSize, gradAccum;
    readonly long seed;
    readonly Func<int, int>? length;

    /// <param name="length">Example length (tokens) for bucketing, or null for a plain shuffle.</param>
    public BatchPlan(int count, int batchSize, int gradAccum, long seed, Func<int, int>? length)
    {
        if (count < 1) throw new UserError("the training data has no usable examples");
        this.count = count; this.batchSize = batchSize; this.gradAccum = gradAccum; this.seed = seed; this.length = length;
    }

    int Effective => batchSize * gradAccum;

    /// <summary>Optimizer steps per epoch; a last partial batch is kept (its loss is normalised by its own size).</summary>
    public int StepsPerEpoch => (count + Effective - 1) / Effective;

    /// <summary>The examples of every step of <paramref name="epoch"/>, each split into micro-batches.</summary>
    public IReadOnlyList<IReadOnlyList<int[]>> Epoch(int epoch)
    {
        var random = Seeding.Stream(seed, $"train/epoch-{epoch}");
        int[] order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        var steps = new List<int[]>();
        for (int start = 0; start < count; start += Effective)
            steps.Add(order[start..Math.Min(count, start + Effective)]);

        if (length is not null)
        {
            // Sort within windows, re-cut into steps, then shuffle the steps' order.
            var regrouped = new List<int[]>();
            for (int w = 0; w < steps.Count; w += BucketWindowBatches)
            {
                var window = steps.Skip(w).Take(BucketWindowBatches).SelectMany(s => s)
                    .OrderBy(i => length(i)).ThenBy(i => i).ToArray();
                for (int start = 0; start < window.Length; start += Effective)
                    regrouped.Add(window[start..Math.Min(window.Length, start + Effective)]);
            }
            var shuffled = regrouped.ToArray();
            random.Shuffle(shuffled);
            steps = shuffled.ToList();
        }

        return steps.Select(SplitMicro).ToList();
    }

    IReadOnlyList<int[]> SplitMicro(int[] step)
    {
        var micro = new List<int[]>();
        for (int start = 0; start < step.Length; start += batchSize)
            micro.Add(step[start..Math.Min(step.Length, start + batchSize)]);
        return micro;
    }
}
