using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Training;
using PrefLab.Training.Checkpoints;
using PrefLab.Training.Optimization;
using TorchSharp;
using Xunit;

namespace PrefLab.Tests.Training;

public class TrainerTests
{
    static readonly Dictionary<string, object?> NoOptions = new();

    static (ToyObjective Objective, TrainingResult Result, RunDirectory Run) Train(TempDir dir, string name, TrainingOptions options,
        Action<long>? afterStep = null, ToyObjective? objective = null)
    {
        objective ??= new ToyObjective(40, seed: 5);
        var run = RunDirectory.Start(dir.File(name), "toy", NoOptions, options.Seed, options.Resume);
        var trainer = new Trainer(objective, options, run, new MetricsLogger(run, false, null), "toy") { AfterStep = afterStep };
        return (objective, trainer.Run(), run);
    }

    static List<JsonNode> Metrics(RunDirectory run) =>
        File.ReadAllLines(run.MetricsPath).Select(l => JsonNode.Parse(l)!).ToList();

    [Fact]
    public void Batch_of_8_equals_8_micro_batches_of_1()
    {
        // Gradients of one step: the token-weighted loss accumulated over micro-batches equals the whole batch's.
        var objective = new ToyObjective(8, seed: 2);
        var all = Enumerable.Range(0, 8).ToArray();
        objective.Model.zero_grad();
        var whole = objective.Compute(all);
        (whole.LossSum / objective.Weight(all)).backward();
        var wholeGrads = objective.Model.parameters().Select(p => p.grad!.clone()).ToList();

        objective.Model.zero_grad();
        foreach (int i in all) (objective.Compute(new[] { i }).LossSum / objective.Weight(all)).backward();
        var accumulated = objective.Model.parameters().Select(p => p.grad!.clone()).ToList();
        for (int k = 0; k < wholeGrads.Count; k++)
            Assert.True(wholeGrads[k].allclose(accumulated[k], rtol: 1e-5, atol: 1e-7), $"gradient {k} differs");

        // Negative control: averaging each micro-batch by its own tokens (a common mistake) does not match.
        objective.Model.zero_grad();
        foreach (int i in all) (objective.Compute(new[] { i }).LossSum / objective.Weight(new[] { i }) / 8).backward();
        var naive = objective.Model.parameters().Select(p => p.grad!.clone()).ToList();
        Assert.Contains(Enumerable.Range(0, naive.Count), k => !wholeGrads[k].allclose(naive[k], rtol: 1e-3, atol: 1e-5));

        // And through the loop: several steps give the same losses and weights (tolerance 1e-5).
        using var dir = new TempDir();
        var batch = Train(dir, "b8", new TrainingOptions { Lr = 1e-2, BatchSize = 8, GradAccum = 1, Epochs = 2, Seed = 3 });
        var accum = Train(dir, "b1x8", new TrainingOptions { Lr = 1e-2, BatchSize = 1, GradAccum = 8, Epochs = 2, Seed = 3 });
        var lossesA = Metrics(batch.Run).Where(m => m["loss"] is not null).Select(m => m["loss"]!.GetValue<double>()).ToList();
        var lossesB = Metrics(accum.Run).Where(m => m["loss"] is not null).Select(m => m["loss"]!.GetValue<double>()).ToList();
        Assert.True(lossesA.Count >= 10);
        Assert.Equal(lossesA.Count, lossesB.Count);
        for (int i = 0; i < lossesA.Count; i++) Assert.Equal(lossesA[i], lossesB[i], 5);
        Assert.Equal(batch.Objective.Weights(), accum.Objective.Weights(), new FloatTolerance(1e-5f));
    }

    [Fact]
    public void Resumed_run_equals_uninterrupted_run()
    {
        using var dir = new TempDir();
        var options = new TrainingOptions { Lr = 1e-2, BatchSize = 4, GradAccum = 2, Epochs = 3, Seed = 9, SaveEvery = 3, WarmupRatio = 0.2 };
        var straight = Train(dir, "straight", options);

        Assert.Throws<OperationCanceledException>(() =>
            Train(dir, "interrupted", options, afterStep: s => { if (s == 7) throw new OperationCanceledException("interrupted"); }));
        var interrupted = new CheckpointStore(Path.Combine(dir.File("interrupted"), "checkpoints"), 2);
        Assert.Equal(6, interrupted.Latest);
        var resumed = Train(dir, "interrupted", options with { Resume = true });

        Assert.Equal(straight.Result.Steps, resumed.Result.Steps);
        Assert.Equal(straight.Objective.Weights(), resumed.Objective.Weights());
        var a = Metrics(straight.Run);
        var b = Metrics(resumed.Run);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i]["step"]!.GetValue<long>(), b[i]["step"]!.GetValue<long>());
            foreach (string key in new[] { "loss", "lr", "grad_norm", "mae", "epoch" })
                Assert.Equal(a[i][key]?.GetValue<double>(), b[i][key]?.GetValue<double>());
        }
        // Negative control: a run with another seed does not match.
        var other = Train(dir, "other", options with { Seed = 10 });
        Assert.NotEqual(straight.Objective.Weights(), other.Objective.Weights());
    }

    [Theory]
    [InlineData(2)]   // killed before the first checkpoint (step 3): the resumed run starts over
    [InlineData(7)]   // killed between checkpoints 6 and 9
    public void A_resumed_run_logs_every_step_once_in_metrics_and_tensorboard_wherever_it_was_killed(int killedAt)
    {
        using var dir = new TempDir();
        var options = new TrainingOptions { Lr = 1e-2, BatchSize = 4, Epochs = 2, Seed = 9, SaveEvery = 3, LogEvery = 1 };
        RunDirectory Start(bool resume, string name = "run") => RunDirectory.Start(dir.File(name), "toy", NoOptions, options.Seed, resume);
        var straight = Start(resume: false, "straight");
        new Trainer(new ToyObjective(40, seed: 5), options, straight, new MetricsLogger(straight, tensorboard: false, null), "toy").Run();
        var run = Start(resume: false);
        var killed = new Trainer(new ToyObjective(40, seed: 5), options, run, new MetricsLogger(run, tensorboard: true, null), "toy")
        {
            AfterStep = s => { if (s == killedAt) throw new OperationCanceledException("killed"); },
        };
        Assert.Throws<OperationCanceledException>(() => killed.Run());
        Assert.Equal(killedAt, Metrics(run).Count);
        // A kill in mid-write leaves a torn last line.
        File.AppendAllText(run.MetricsPath, "{\"step\": 99, \"lo");

        run = Start(resume: true);
        new Trainer(new ToyObjective(40, seed: 5), options with { Resume = true }, run, new MetricsLogger(run, tensorboard: true, null), "toy").Run();

        // The uninterrupted run's lines: each step once (the last step adds its evaluation line).
        static List<string> Lines(RunDirectory r) => Metrics(r).Select(m => $"{m["step"]} {string.Join(",", m.AsObject().Select(p => p.Key))}").ToList();
        Assert.Equal(Lines(straight), Lines(run));
        Assert.Equal(20, Metrics(straight).Select(m => m["step"]!.GetValue<long>()).Distinct().Count());
        // TensorBoard's events cannot be cut: the resumed run rewrites one file from the kept lines and goes on in it.
        var events = Directory.GetFiles(Path.Combine(run.Path, MetricsLogger.TensorboardFolder), "events.out.tfevents*", SearchOption.AllDirectories);
        Assert.Single(events);
    }

    [Fact]
    public void Live_tensor_count_is_flat_across_steps()
    {
        using var dir = new TempDir();
        var counts = new Dictionary<long, long>();
        Train(dir, "flat", new TrainingOptions { Lr = 1e-3, BatchSize = 4, GradAccum = 2, MaxSteps = 50, Seed = 1, EvalEvery = 10 },
            afterStep: s => counts[s] = LiveTensors.Count);
        Assert.Equal(counts[5], counts[50]);
        Assert.Equal(counts[20], counts[45]);
    }

    [Fact]
    public void A_non_finite_loss_stops_with_a_message_naming_the_step()
    {
        using var dir = new TempDir();
        var objective = new ToyObjective(40, seed: 5);
        int poisonAfter = 0;
        objective.PoisonExample = _ => ++poisonAfter > 2 * 8 * 2; // the first two steps (8 examples, two micro-batches of 4... ) are clean
        var error = Assert.Throws<UserError>(() => Train(dir, "nan",
            new TrainingOptions { Lr = 1e-3, BatchSize = 8, Epochs = 1, Seed = 1 }, objective: objective));
        Assert.Matches(@"^step \d+: the loss is NaN", error.Message);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("nan"), "run.json")))!;
        Assert.Equal("failed", run["status"]!.GetValue<string>());
        Assert.False(File.Exists(Path.Combine(dir.File("nan"), "toy.bin")));
    }

    [Fact]
    public void Checkpoints_keep_the_last_K_and_hold_model_optimizer_and_state()
    {
        using var dir = new TempDir();
        Train(dir, "ckpt", new TrainingOptions { Lr = 1e-3, BatchSize = 8, MaxSteps = 10, SaveEvery = 2, KeepCheckpoints = 2, Seed = 1 });
        var store = new CheckpointStore(Path.Combine(dir.File("ckpt"), "checkpoints"), 2);
        Assert.Equal(new long[] { 8, 10 }, store.Steps());
        Assert.True(File.Exists(Path.Combine(store.PathOf(10), "toy.bin")));
        Assert.True(File.Exists(Path.Combine(store.PathOf(10), "optimizer-model.bin")));
        Assert.Equal(10, store.ReadState(10).Step);
        Assert.True(File.Exists(Path.Combine(dir.File("ckpt"), "toy.bin")));
    }

    [Fact]
    public void First_step_is_always_logged_then_every_N_and_evaluation_lines_carry_eval_metrics()
    {
        using var dir = new TempDir();
        var (_, result, run) = Train(dir, "log", new TrainingOptions { Lr = 1e-3, BatchSize = 8, MaxSteps = 9, LogEvery = 4, EvalEvery = 5, Seed = 1 });
        var lines = Metrics(run);
        var trainSteps = lines.Where(l => l["loss"] is not null).Select(l => l["step"]!.GetValue<long>()).ToList();
        Assert.Equal(new long[] { 1, 4, 8, 9 }, trainSteps);
        var evalSteps = lines.Where(l => l["eval/loss"] is not null).Select(l => l["step"]!.GetValue<long>()).ToList();
        Assert.Equal(new long[] { 5, 9 }, evalSteps);
        foreach (string key in new[] { "loss", "lr", "grad_norm", "tokens_per_sec", "elapsed_sec", "mae" })
            Assert.NotNull(lines[0][key]);
        Assert.True(result.FinalMetrics.ContainsKey("eval/loss"));
        Assert.Equal("completed", JsonNode.Parse(File.ReadAllText(run.RunJsonPath))!["status"]!.GetValue<string>());
    }

    [Fact]
    public void Gradient_clipping_bounds_the_update_and_reports_the_pre_clip_norm()
    {
        using var dir = new TempDir();
        var (_, _, run) = Train(dir, "clip", new TrainingOptions { Lr = 1e-3, BatchSize = 8, MaxSteps = 1, ClipNorm = 1e-3, Seed = 1 });
        Assert.True(Metrics(run)[0]["grad_norm"]!.GetValue<double>() > 1e-3);
    }

    sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
