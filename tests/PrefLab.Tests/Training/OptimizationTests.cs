using PrefLab.Runtime;
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

public class PrefLabAdamWTests
{
    // A matrix larger than one slice (so the sliced path runs), a small matrix and a vector (the decay-exempt group).
    static readonly long[][] Shapes = [[(PrefLab.Training.Optimization.AdamW.SliceElements / 1000) + 3, 1000], [7, 5], [11]];

    static List<Parameter> Parameters(long seed)
    {
        var generator = new Generator((ulong)seed);
        return Shapes.Select(shape => new Parameter(randn(shape, generator: generator))).ToList();
    }

    static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    static void SetGradients(IReadOnlyList<Parameter> parameters, int step)
    {
        var generator = new Generator((ulong)(100 + step));
        foreach (var p in parameters)
        {
            // The wrapper is ours to dispose; the parameter keeps its own reference to the gradient.
            using var gradient = randn(p.shape, generator: generator).mul_(step % 2 == 0 ? 1.0 : 1e-3);
            p.grad = gradient;
        }
    }

    static List<TorchSharp.Modules.AdamW.ParamGroup> Groups(IReadOnlyList<Parameter> parameters, double lr, double weightDecay) =>
    [
        new(parameters.Where(p => p.dim() >= 2), lr, 0.9, 0.95, 1e-8, weightDecay, false, false),
        new(parameters.Where(p => p.dim() < 2), lr, 0.9, 0.95, 1e-8, 0.0, false, false),
    ];

    [Fact]
    public void Steps_give_the_same_bits_as_TorchSharps_AdamW()
    {
        var ours = Parameters(1);
        var theirs = Parameters(1);
        using var scoped = new PrefLab.Training.Optimization.AdamW(Groups(ours, 1e-3, 0.1), 1e-3, 0.9, 0.95, 1e-8, 0.1);
        using var reference = optim.AdamW(Groups(theirs, 1e-3, 0.1), 1e-3, 0.9, 0.95, 1e-8, 0.1);
        for (int step = 0; step < 5; step++)
        {
            // A learning-rate change between steps, as the schedules make.
            OptimizerFactory.SetLearningRate(scoped, 1e-3 * (step + 1));
            OptimizerFactory.SetLearningRate(reference, 1e-3 * (step + 1));
            SetGradients(ours, step);
            SetGradients(theirs, step);
            scoped.step();
            reference.step();
        }
        var initial = Parameters(1);
        for (int i = 0; i < ours.Count; i++)
        {
            Assert.True(Same(ours[i], theirs[i]), $"parameter {i} differs: max |diff| {(ours[i] - theirs[i]).abs().max().item<float>()}");
            Assert.False(Same(ours[i], initial[i]), $"parameter {i} did not move");
        }
    }

    [Fact]
    public void Its_state_saves_and_loads_in_the_base_class_format()
    {
        var first = Parameters(2);
        using var trained = new PrefLab.Training.Optimization.AdamW(Groups(first, 1e-2, 0.0), 1e-2, 0.9, 0.95, 1e-8, 0.0);
        for (int step = 0; step < 2; step++) { SetGradients(first, step); trained.step(); }
        string file = Path.Combine(Path.GetTempPath(), $"scoped-adamw-{Guid.NewGuid():N}.bin");
        try
        {
            trained.save_state_dict(file);
            // TorchSharp's own AdamW reads the file: the checkpoint format is unchanged.
            var second = first.Select(p => new Parameter(p.detach().clone())).ToList();
            using var reloaded = optim.AdamW(Groups(second, 1e-2, 0.0), 1e-2, 0.9, 0.95, 1e-8, 0.0);
            reloaded.load_state_dict(file);
            SetGradients(first, 2); trained.step();
            SetGradients(second, 2); reloaded.step();
            for (int i = 0; i < first.Count; i++) Assert.True(Same(first[i], second[i]), $"parameter {i} differs after resuming");
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Steps_leave_no_tensors_behind()
    {
        var parameters = Parameters(3);
        using var optimizer = new PrefLab.Training.Optimization.AdamW(Groups(parameters, 1e-3, 0.0), 1e-3, 0.9, 0.95, 1e-8, 0.0);
        SetGradients(parameters, 0);
        optimizer.step();    // the state exists from construction; a first step settles any lazy allocation
        OptimizerFactory.ClearGradients(parameters);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = LiveTensors.Count;
        for (int step = 1; step < 4; step++)
        {
            SetGradients(parameters, step);
            optimizer.step();
            OptimizerFactory.ClearGradients(parameters);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(before, LiveTensors.Count);
    }

    [Fact]
    public void The_factory_builds_it()
    {
        using var p = new Parameter(ones(3, 3));
        using var optimizer = OptimizerFactory.AdamW([p], new TrainingOptions { Lr = 0.1 });
        Assert.IsType<PrefLab.Training.Optimization.AdamW>(optimizer);
    }
}
