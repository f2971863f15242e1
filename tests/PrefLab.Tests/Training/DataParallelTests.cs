using PrefLab.Training;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Training;

public class DataParallelTests
{
    [Fact]
    public void Each_rank_takes_every_Nth_micro_batch_and_together_the_ranks_take_each_once()
    {
        int[][] micro = Enumerable.Range(0, 5).Select(i => new[] { i }).ToArray();
        Assert.Equal([0, 2, 4], DataParallel.Shard(micro, 0, 2).Select(m => m[0]));
        Assert.Equal([1, 3], DataParallel.Shard(micro, 1, 2).Select(m => m[0]));
        Assert.Equal(Enumerable.Range(0, 5), Enumerable.Range(0, 3).SelectMany(r => DataParallel.Shard(micro, r, 3)).Select(m => m[0]).Order());
        // A short last step: the last ranks get nothing, and still take part in the sums.
        Assert.Empty(DataParallel.Shard(micro[..1], 1, 2));
        Assert.Equal(micro, DataParallel.Shard(micro, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataParallel.Shard(micro, 2, 2));
    }

    [Fact]
    public void A_rank_generates_whole_generation_batches_of_one_process_and_the_ranks_generate_each_row_once()
    {
        // Rows sorted as TextGenerator sorts them (longest prompt first, ties by row), in batches of 3.
        int[] lengths = [5, 9, 5, 2, 9, 7, 5, 1, 3, 9, 4];
        var order = Enumerable.Range(0, lengths.Length).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();
        var batches = order.Chunk(3).ToList();
        foreach (int size in new[] { 1, 2, 3, 5 })
        {
            var all = new List<int>();
            for (int rank = 0; rank < size; rank++)
            {
                int[] mine = PrefLab.Algorithms.OnlineRl.RolloutShards.GenerationRows(lengths, 3, rank, size);
                Assert.Equal(mine.Order(), mine);
                // The rank's own TextGenerator call (its rows sorted the same way, batches of 3) decodes one process's batches c ≡ rank (mod N).
                var own = mine.OrderByDescending(i => lengths[i]).ThenBy(i => i).Chunk(3).ToList();
                var expected = batches.Where((_, c) => c % size == rank).ToList();
                Assert.Equal(expected.Count, own.Count);
                for (int b = 0; b < own.Count; b++) Assert.Equal(expected[b], own[b]);
                all.AddRange(mine);
            }
            Assert.Equal(Enumerable.Range(0, lengths.Length), all.Order());
        }
    }

    [Fact]
    public void The_plan_of_N_ranks_is_the_plan_of_one_process_with_N_fold_accumulation()
    {
        // Trainer builds BatchPlan(count, batch, gradAccum × ranks): rank r's share of each step, over all ranks,
        // is exactly the one-process step, in the same order of steps.
        var plan = new BatchPlan(37, 3, 2 * 2, seed: 5, length: i => i % 7);
        foreach (var step in plan.Epoch(1))
        {
            var union = DataParallel.Shard(step, 0, 2).Concat(DataParallel.Shard(step, 1, 2)).SelectMany(m => m).Order();
            Assert.Equal(step.SelectMany(m => m).Order(), union);
        }
        Assert.Equal(new BatchPlan(37, 3, 4, 5, i => i % 7).Epoch(0).Select(s => s.SelectMany(m => m)), plan.Epoch(0).Select(s => s.SelectMany(m => m)));
    }

    [Fact]
    public void Gradient_buckets_hold_consecutive_tensors_of_one_type_up_to_the_cap()
    {
        var tensors = new List<(long, ScalarType)>
        {
            (3, ScalarType.Float32), (4, ScalarType.Float32), (2, ScalarType.Float32), (20, ScalarType.Float32),
            (1, ScalarType.Float64), (1, ScalarType.Float64), (1, ScalarType.Float32),
        };
        var buckets = DataParallel.Buckets(tensors, cap: 8);
        Assert.Equal([[0, 1], [2], [3], [4, 5], [6]], buckets);
        Assert.Equal(Enumerable.Range(0, tensors.Count), buckets.SelectMany(b => b));
        Assert.Empty(DataParallel.Buckets([], 8));
    }

    [Fact]
    public void Metric_names_are_the_union_over_ranks_in_ordinal_order()
    {
        var names = DataParallel.MetricNames([DataParallel.EncodeNames(["rewards/chosen", "kl"]), DataParallel.EncodeNames([]), DataParallel.EncodeNames(["kl", "accuracy"])]);
        Assert.Equal(["accuracy", "kl", "rewards/chosen"], names);
    }

    [Fact]
    public void On_one_process_a_step_reduces_to_itself()
    {
        var sums = new Dictionary<string, (double, double)> { ["accuracy"] = (3, 4) };
        var (loss, tokens, reduced) = DataParallel.ReduceStep(PrefLab.Runtime.Distributed.ProcessGroup.Current, 1.5, 12, sums);
        Assert.Equal((1.5, 12L), (loss, tokens));
        Assert.Equal(sums, reduced);
    }
}
