using PrefLab.Training;
using PrefLab.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Training;

public class LrScheduleTests
{
    [Fact]
    public void Linear_warmup_then_decay_matches_hugging_face()
    {
        // get_linear_schedule_with_warmup(peak 1, warmup 2, total 10): step/2 during warm-up, then (10-step)/8.
        var s = new LrSchedule(LrScheduleKind.Linear, 1.0, 10, 2);
        Assert.Equal(new[] { 0.0, 0.5, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0.0 },
            Enumerable.Range(0, 11).Select(i => s.At(i)).ToArray());
    }

    [Fact]
    public void Linear_decay_to_a_floor_as_the_paper_RM_schedule()
    {
        // lr 1e-5 decaying linearly to 1e-6 (ratio 0.1), no warm-up, 4 steps: 1e-5, 7.75e-6, 5.5e-6, 3.25e-6, then 1e-6.
        var s = new LrSchedule(LrScheduleKind.Linear, 1e-5, 4, 0, 0.1);
        Assert.Equal(1e-5, s.At(0), 12);
        Assert.Equal(7.75e-6, s.At(1), 12);
        Assert.Equal(5.5e-6, s.At(2), 12);
        Assert.Equal(1e-6, s.At(4), 12);
    }

    [Fact]
    public void Cosine_and_constant()
    {
        var cosine = new LrSchedule(LrScheduleKind.Cosine, 2.0, 12, 2);
        Assert.Equal(1.0, cosine.At(1), 12);      // warm-up
        Assert.Equal(2.0, cosine.At(2), 12);      // peak
        Assert.Equal(1.0, cosine.At(7), 12);      // half way: 0.5 * (1 + cos(pi/2)) = 0.5
        Assert.Equal(0.0, cosine.At(12), 12);
        var constant = new LrSchedule(LrScheduleKind.Constant, 3.0, 10, 5);
        Assert.Equal(0.6, constant.At(1), 12);
        Assert.Equal(3.0, constant.At(9), 12);
    }

    [Fact]
    public void Warmup_ratio_rounds_up_like_the_trainer()
    {
        Assert.Equal(3, LrSchedule.FromRatio(LrScheduleKind.Linear, 1, 100, 0.03).WarmupSteps);
        Assert.Equal(1, LrSchedule.FromRatio(LrScheduleKind.Linear, 1, 5, 0.1).WarmupSteps);
        Assert.Equal(0, LrSchedule.FromRatio(LrScheduleKind.Linear, 1, 5, 0).WarmupSteps);
    }
}

public class OptimizerFactoryTests
{
    [Fact]
    public void A_shared_weight_is_stepped_once()
    {
        var shared = new Parameter(ones(3, 2));
        var list = new[] { shared, shared };
        Assert.Single(OptimizerFactory.Distinct(list));
        using var optimizer = OptimizerFactory.AdamW(list, new TrainingOptions { Lr = 0.1, WeightDecay = 0 });
        shared.grad = ones(3, 2);
        optimizer.step();
        // One Adam step moves each weight by lr (m/sqrt(v) = 1 on the first step): 1 - 0.1, not 1 - 0.2.
        Assert.All(shared.data<float>().ToArray(), v => Assert.Equal(0.9f, v, 5));
    }

    [Fact]
    public void Weight_decay_is_explicit_and_spares_norms_and_biases()
    {
        var matrix = new Parameter(ones(2, 2));
        var bias = new Parameter(ones(2));
        using var optimizer = OptimizerFactory.AdamW(new[] { matrix, bias }, new TrainingOptions { Lr = 0.1, WeightDecay = 0.5 });
        matrix.grad = zeros(2, 2);
        bias.grad = zeros(2);
        optimizer.step();
        // Zero gradient: only decoupled decay moves weights, by lr * wd = 5%.
        Assert.All(matrix.data<float>().ToArray(), v => Assert.Equal(0.95f, v, 5));
        Assert.All(bias.data<float>().ToArray(), v => Assert.Equal(1f, v, 5));
    }

    [Fact]
    public void Options_name_the_bad_option()
    {
        Assert.Contains("--grad-accum", Assert.Throws<PrefLab.Runtime.UserError>(() => new TrainingOptions { GradAccum = 0 }.Validate()).Message);
        Assert.Contains("--warmup-ratio", Assert.Throws<PrefLab.Runtime.UserError>(() => new TrainingOptions { WarmupRatio = 2 }.Validate()).Message);
    }
}

public class BatchPlanTests
{
    [Fact]
    public void Each_epoch_covers_every_example_once_in_a_seeded_order()
    {
        int[] lengths = Enumerable.Range(0, 50).Select(i => i * 7 % 13 + 1).ToArray();
        var plan = new BatchPlan(50, 4, 2, seed: 1, length: i => lengths[i]);
        Assert.Equal(7, plan.StepsPerEpoch);
        var epoch0 = plan.Epoch(0);
        Assert.Equal(Enumerable.Range(0, 50), epoch0.SelectMany(s => s.SelectMany(m => m)).OrderBy(i => i));
        Assert.All(epoch0, s => Assert.All(s, m => Assert.True(m.Length <= 4)));
        Assert.Equal(Flatten(epoch0), Flatten(new BatchPlan(50, 4, 2, 1, i => lengths[i]).Epoch(0)));
        Assert.NotEqual(Flatten(epoch0), Flatten(plan.Epoch(1)));
        Assert.NotEqual(Flatten(epoch0), Flatten(new BatchPlan(50, 4, 2, 2, i => lengths[i]).Epoch(0)));
    }

    [Fact]
    public void Bucketing_wastes_less_on_padding()
    {
        var random = new Random(4);
        int[] lengths = Enumerable.Range(0, 400).Select(_ => random.Next(5, 200)).ToArray();
        long Padded(BatchPlan plan) => plan.Epoch(0).SelectMany(s => s).Sum(m => (long)m.Length * m.Max(i => lengths[i]));
        long bucketed = Padded(new BatchPlan(400, 8, 1, 1, i => lengths[i]));
        long plain = Padded(new BatchPlan(400, 8, 1, 1, null));
        Assert.True(bucketed < plain * 0.75, $"bucketed {bucketed} vs plain {plain}");
    }

    static int[] Flatten(IReadOnlyList<IReadOnlyList<int[]>> epoch) => epoch.SelectMany(s => s.SelectMany(m => m)).ToArray();
}
