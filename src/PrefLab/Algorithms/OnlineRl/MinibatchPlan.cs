using PrefLab.Runtime;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// How one pass over a rollout batch is cut: the rows shuffled (seeded by run seed, update and pass), split into
/// equal minibatches (one optimizer step each), each split into micro-batches of at most the forward batch size
/// (gradients accumulated exactly: each micro-batch's loss is weighted by its share of the minibatch).
/// The rollout's old log-probs and values are computed over the micro-batches of pass 0, so the first
/// minibatch of the first pass runs the very same forward on the very same rows: the ratio there is exactly 1.
/// </summary>
public sealed class MinibatchPlan
{
    MinibatchPlan(IReadOnlyList<IReadOnlyList<int[]>> minibatches) => Minibatches = minibatches;

    /// <summary>Each minibatch as its micro-batches of row indices.</summary>
    public IReadOnlyList<IReadOnlyList<int[]>> Minibatches { get; }

    /// <summary>Every micro-batch of the pass, in order (covers each row once).</summary>
    public IReadOnlyList<int[]> MicroBatches => Minibatches.SelectMany(m => m).ToList();

    public static MinibatchPlan Create(long seed, long step, int epoch, int rows, int minibatches, int microBatchSize)
    {
        if (rows < 1 || minibatches < 1 || rows % minibatches != 0)
            throw new ArgumentException($"{rows} rows do not split into {minibatches} minibatches");
        if (microBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(microBatchSize));
        var order = Enumerable.Range(0, rows).ToArray();
        var random = Seeding.Stream(seed, $"online-rl/minibatches/{step}/{epoch}");
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        int size = rows / minibatches;
        var result = new List<IReadOnlyList<int[]>>();
        for (int m = 0; m < minibatches; m++)
            result.Add(order.Skip(m * size).Take(size).Chunk(microBatchSize).ToList());
        return new MinibatchPlan(result);
    }
}
