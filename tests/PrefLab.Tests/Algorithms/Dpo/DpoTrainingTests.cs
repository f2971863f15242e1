using PrefLab.Algorithms.Dpo;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Tests.Cli;
using PrefLab.Training;
using PrefLab.Training.Checkpoints;
using Xunit;

namespace PrefLab.Tests.Algorithms.Dpo;

public class DpoTrainingTests
{
    static float[][] Weights(string folder)
    {
        using var model = CausalLM.Load(folder);
        return model.parameters().Select(p => p.data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void A_cached_reference_gives_the_same_first_epoch_losses_as_a_live_reference()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 6);
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 24);
        string eval = DpoTestKit.Pairs(dir.File("eval.jsonl"), 6, seed: 31);
        // 24 pairs, 4 a pass x 2: 3 steps an epoch; a high learning rate so the policy leaves the reference at once.
        var training = new TrainingOptions { Lr = 5e-3, BatchSize = 4, GradAccum = 2, Epochs = 2, Seed = 5, EvalEvery = 3 };
        var cached = DpoTestKit.Options(model, data, dir.File("cached"), dir.File("cache"), training: training) with { EvalData = eval };
        var live = cached with { Output = dir.File("live"), RefCache = ReferenceCacheOff };
        DpoJob.Run(cached);
        DpoJob.Run(live);

        var a = DpoTestKit.Metrics(cached.Output);
        var b = DpoTestKit.Metrics(live.Output);
        Assert.Equal(a.Count, b.Count);
        var trainA = a.Where(m => m["loss"] is not null).ToList();
        var trainB = b.Where(m => m["loss"] is not null).ToList();
        Assert.Equal(6, trainA.Count);
        Assert.True(DpoTestKit.Value(trainA[2], "loss") < Math.Log(2) - 1e-3, "the policy has moved away from the reference");
        // Stated tolerance: 1e-6 on every first-epoch loss and eval metric. The reference pass runs the first epoch's
        // micro-batches, so the values are in fact identical; later epochs pad pairs differently (≈1e-7 relative in
        // the reference's log-probs), hence the same tolerance there.
        for (int i = 0; i < trainA.Count; i++)
            foreach (string name in new[] { "loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "rewards/accuracies", "logps/chosen" })
                Assert.True(Math.Abs(DpoTestKit.Value(trainA[i], name) - DpoTestKit.Value(trainB[i], name)) <= 1e-6, $"step {i + 1} {name}");
        var evalA = a.Where(m => m["eval/loss"] is not null).ToList();
        var evalB = b.Where(m => m["eval/loss"] is not null).ToList();
        Assert.Equal(2, evalA.Count);
        for (int i = 0; i < evalA.Count; i++)
            foreach (string name in new[] { "eval/loss", "eval/rewards/accuracies", "eval/rewards/margins" })
                Assert.True(Math.Abs(DpoTestKit.Value(evalA[i], name) - DpoTestKit.Value(evalB[i], name)) <= 1e-6, $"eval {i} {name}");

        // Negative control: another reference gives other losses from the first step on.
        var other = cached with { Output = dir.File("other"), ReferenceModel = DpoTestKit.Model(dir.File("other-model"), seed: 7), Training = training with { MaxSteps = 1 } };
        DpoJob.Run(other);
        Assert.True(Math.Abs(DpoTestKit.Value(DpoTestKit.TrainMetrics(other.Output)[0], "loss") - Math.Log(2)) > 1e-3);
    }

    const string ReferenceCacheOff = PrefLab.Algorithms.Dpo.Reference.ReferenceCache.Off;

    [Fact]
    public void A_resumed_run_equals_the_uninterrupted_run()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 8);
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 16);
        var training = new TrainingOptions { Lr = 5e-3, BatchSize = 4, GradAccum = 2, Epochs = 3, Seed = 2, SaveEvery = 2, WarmupRatio = 0.2 };
        var straight = DpoTestKit.Options(model, data, dir.File("straight"), dir.File("cache"), training: training);
        var counts = new Dictionary<long, long>();
        DpoJob.Run(straight with { AfterStep = s => counts[s] = LiveTensors.Count });
        Assert.Equal(counts[2], counts[6]);   // no tensor leaks across steps

        var interrupted = straight with { Output = dir.File("interrupted") };
        Assert.Throws<OperationCanceledException>(() => DpoJob.Run(interrupted with
        {
            AfterStep = s => { if (s == 3) throw new OperationCanceledException("interrupted"); },
        }));
        Assert.Equal(2, new CheckpointStore(Path.Combine(interrupted.Output, "checkpoints"), 2).Latest);
        Assert.Equal("failed", DpoTestKit.Run(interrupted.Output)["status"]!.GetValue<string>());
        DpoJob.Run(interrupted with { Training = training with { Resume = true } });

        Assert.Equal(Weights(straight.Output), Weights(interrupted.Output));
        var a = DpoTestKit.Metrics(straight.Output);
        var b = DpoTestKit.Metrics(interrupted.Output);
        Assert.Equal(6, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
            foreach (string key in new[] { "step", "loss", "lr", "grad_norm", "rewards/margins", "rewards/accuracies" })
                Assert.Equal(a[i][key]!.GetValue<double>(), b[i][key]!.GetValue<double>());
        Assert.Equal("cache", DpoTestKit.Run(interrupted.Output)["reference"]!["train"]!["source"]!.GetValue<string>());

        // Negative control: another seed ends elsewhere.
        var reseeded = straight with { Output = dir.File("reseeded"), Training = training with { Seed = 3 } };
        DpoJob.Run(reseeded);
        Assert.NotEqual(Weights(straight.Output), Weights(reseeded.Output));
    }

    [Fact]
    public void A_few_steps_at_a_high_learning_rate_change_every_parameter_and_lower_the_loss()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 9);
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 16);
        var (exit, output, error) = CliAppTests.Run("dpo", "--model", model, "--data", data, "--output", dir.File("out"),
            "--ref-cache", dir.File("cache"), "--max-steps", "6", "--lr", "1e-2", "--warmup-ratio", "0", "--batch-size", "4",
            "--grad-accum", "2", "--max-length", "48", "--seed", "3", "--beta", "0.5");
        Assert.True(exit == 0, error);
        Assert.Contains("model saved to", output);

        var before = Weights(model);
        var after = Weights(dir.File("out"));
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.NotEqual(before[i], after[i]);
        var lines = DpoTestKit.TrainMetrics(dir.File("out"));
        Assert.Equal(6, lines.Count);
        Assert.Equal(Math.Log(2), DpoTestKit.Value(lines[0], "loss"), 1e-12);
        Assert.True(DpoTestKit.Value(lines[^1], "loss") < 0.6, $"last loss {DpoTestKit.Value(lines[^1], "loss")}");
        Assert.True(DpoTestKit.Value(lines[^1], "rewards/margins") > 0);

        var run = DpoTestKit.Run(dir.File("out"));
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal(0.5, run["dpo"]!["beta"]!.GetValue<double>());
        Assert.Equal(0.5, run["options"]!["beta"]!.GetValue<double>());
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "tokenizer.json")));
    }

    [Fact]
    public void Prompts_stay_whole_and_pairs_whose_completion_cannot_fit_are_dropped_and_counted()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 9);
        string data = dir.File("pairs.jsonl");
        string longWords = string.Join(' ', Enumerable.Repeat("the capital of france is paris", 6));
        File.WriteAllLines(data, new[]
        {
            """{"prompt":"what is the capital of france ?","chosen":"paris .","rejected":"red ."}""",
            // a long completion: truncated to fit, the prompt kept
            $$"""{"prompt":"what is the capital of france ?","chosen":"{{longWords}}","rejected":"blue ."}""",
            // a prompt longer than --max-length: no room for any completion token
            $$"""{"prompt":"{{longWords}} ?","chosen":"paris .","rejected":"dog ."}""",
            """{"prompt":"name a color ?","chosen":"blue .","rejected":"cat ."}""",
        });
        var options = DpoTestKit.Options(model, data, dir.File("out"), dir.File("cache")) with { MaxLength = 24 };
        DpoJob.Run(options);
        var tokenization = DpoTestKit.Run(options.Output)["data"]!["train"]!["tokenization"]!;
        Assert.Equal(3, tokenization["kept"]!.GetValue<long>());
        Assert.Equal(1, tokenization["truncated"]!.GetValue<long>());
        Assert.Equal(1, tokenization["dropped"]!.GetValue<long>());
        Assert.Equal(1, tokenization["dropped_by_reason"]!["prompt fills --max-length"]!.GetValue<long>());
        Assert.Equal(3, DpoTestKit.Run(options.Output)["reference"]!["train"]!["pairs"]!.GetValue<long>());
        Assert.All(DpoTestKit.TrainMetrics(options.Output), m => Assert.True(double.IsFinite(DpoTestKit.Value(m, "loss"))));
    }
}
