using PrefLab.Runtime;
using PrefLab.Training;
using PrefLab.Training.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Training;

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
        for (int i = 0; i < ours.Count; i++)
        {
            Assert.True(Same(ours[i], theirs[i]), $"parameter {i} differs: max |diff| {(ours[i] - theirs[i]).abs().max().item<float>()}");
            Assert.False(Same(ours[i], Parameters(1)[i]), $"parameter {i} did not move");
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
        foreach (var p in parameters) p.grad = null;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = LiveTensors.Count;
        for (int step = 1; step < 4; step++)
        {
            SetGradients(parameters, step);
            optimizer.step();
            foreach (var p in parameters) p.grad = null;
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
