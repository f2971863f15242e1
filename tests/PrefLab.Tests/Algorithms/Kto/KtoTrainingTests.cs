using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Algorithms.Kto;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Tests.Algorithms.Dpo;
using PrefLab.Tests.Cli;
using PrefLab.Training;
using PrefLab.Training.Checkpoints;
using Xunit;

namespace PrefLab.Tests.Algorithms.Kto;

/// <summary>KTO end to end on tiny models over the World test tokenizer (DPO's kit): first-step invariants, the
/// command, the run folder, exact resume, pairs split into labelled examples.</summary>
public class KtoTrainingTests
{
    static float[][] Weights(string folder)
    {
        using var model = CausalLM.Load(folder);
        return model.parameters().Select(p => p.data<float>().ToArray()).ToArray();
    }

    /// <summary><paramref name="count"/> unpaired rows: desirable answers say paris, undesirable ones do not; about
    /// <paramref name="desirableShare"/> of them desirable.</summary>
    static string Unpaired(string path, int count, int seed = 7, double desirableShare = 0.5)
    {
        var random = new Random(seed);
        string[] words = ["the", "a", "is", "of", "blue", "red", "cat", "dog", "i", "think", "so", "not", "sure", "yes", "no", "sky"];
        string Sentence(int min, int max) => string.Join(' ', Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => words[random.Next(words.Length)])) + " .";
        var lines = Enumerable.Range(0, count).Select(i =>
        {
            bool desirable = i < desirableShare * count;
            return new JsonObject
            {
                ["prompt"] = "what is the capital of france ? " + Sentence(0, 5).TrimEnd('.', ' ') + " ?",
                ["completion"] = desirable ? "paris . " + Sentence(1, 6) : Sentence(1, 8),
                ["label"] = desirable,
            }.ToJsonString();
        }).OrderBy(_ => random.Next()).ToList();
        File.WriteAllLines(path, lines);
        return path;
    }

    static KtoJobOptions Options(string model, string data, string output, string cache, KtoOptions? kto = null, TrainingOptions? training = null) => new()
    {
        Model = model, Data = data, Output = output, RefCache = cache, MaxLength = 48,
        Kto = kto ?? new KtoOptions(),
        Training = training ?? new TrainingOptions { Lr = 1e-3, BatchSize = 4, GradAccum = 2, Epochs = 1, Seed = 3, WarmupRatio = 0 },
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void At_the_first_step_policy_equals_reference_so_rewards_and_kl_are_zero_and_each_loss_is_half_its_weight(bool live)
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 11);
        // 8 examples (5 desirable, 3 undesirable), 4 a pass x 2: the first step sees each once.
        string data = Unpaired(dir.File("kto.jsonl"), 8, desirableShare: 0.625);
        var options = Options(model, data, dir.File("run"), live ? ReferenceCache.Off : dir.File("cache"), new KtoOptions { DesirableWeight = 1.5, UndesirableWeight = 0.7 })
            with { Training = new() { Lr = 1e-3, BatchSize = 4, GradAccum = 2, MaxSteps = 1, Seed = 3 } };
        KtoJob.Run(options);
        var first = DpoTestKit.TrainMetrics(options.Output)[0];
        // mean over 8 examples of λ/2: (5 x 1.5 x 0.5 + 3 x 0.7 x 0.5) / 8.
        double expected = (5 * 1.5 * 0.5 + 3 * 0.7 * 0.5) / 8;
        Assert.Equal(expected, DpoTestKit.Value(first, "loss"), 1e-12);
        foreach (string name in new[] { "rewards/chosen", "rewards/rejected", "rewards/margins", "kl" })
            Assert.Equal(0.0, DpoTestKit.Value(first, name));
        Assert.True(DpoTestKit.Value(first, "logps/chosen") < 0 && DpoTestKit.Value(first, "logps/rejected") < 0);
        foreach (string name in new[] { "lr", "grad_norm", "tokens_per_sec", "elapsed_sec" }) Assert.NotNull(first[name]);
        var run = DpoTestKit.Run(options.Output);
        Assert.Equal(live ? "live" : "cached", run["reference"]!["mode"]!.GetValue<string>());
        Assert.Equal(5, run["kto"]!["desirable"]!.GetValue<long>());
        Assert.Equal(3, run["kto"]!["undesirable"]!.GetValue<long>());
    }

    [Fact]
    public void The_command_trains_every_parameter_writes_the_run_folder_and_lowers_the_loss()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 9);
        string data = Unpaired(dir.File("kto.jsonl"), 16);
        var (exit, output, error) = CliAppTests.Run("kto", "--model", model, "--data", data, "--output", dir.File("out"),
            "--ref-cache", dir.File("cache"), "--max-steps", "6", "--lr", "1e-2", "--warmup-ratio", "0", "--batch-size", "4",
            "--grad-accum", "2", "--max-length", "48", "--seed", "3", "--beta", "0.5");
        Assert.True(exit == 0, error);
        Assert.Contains("kto: 6 steps; model saved to", output);

        var before = Weights(model);
        var after = Weights(dir.File("out"));
        for (int i = 0; i < before.Length; i++) Assert.NotEqual(before[i], after[i]);
        var lines = DpoTestKit.TrainMetrics(dir.File("out"));
        Assert.Equal(6, lines.Count);
        Assert.Equal(0.5, DpoTestKit.Value(lines[0], "loss"), 1e-12);
        Assert.True(DpoTestKit.Value(lines[^1], "loss") < 0.45, $"last loss {DpoTestKit.Value(lines[^1], "loss")}");
        Assert.True(DpoTestKit.Value(lines[^1], "rewards/margins") > 0);
        Assert.True(DpoTestKit.Value(lines[^1], "kl") >= 0);

        string folder = dir.File("out");
        foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "run.json", "metrics.jsonl" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        var run = DpoTestKit.Run(folder);
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal("kto", run["command"]!.GetValue<string>());
        Assert.Equal(0.5, run["kto"]!["beta"]!.GetValue<double>());
        Assert.Equal(1.0, run["kto"]!["desirable_weight"]!.GetValue<double>());
        using var reloaded = CausalLM.Load(folder);   // a loadable Hugging Face folder
    }

    [Fact]
    public void A_resumed_run_equals_the_uninterrupted_run()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 8);
        string data = Unpaired(dir.File("kto.jsonl"), 16);
        var training = new TrainingOptions { Lr = 5e-3, BatchSize = 4, GradAccum = 2, Epochs = 3, Seed = 2, SaveEvery = 2, WarmupRatio = 0.2 };
        var straight = Options(model, data, dir.File("straight"), dir.File("cache"), training: training);
        var counts = new Dictionary<long, long>();
        KtoJob.Run(straight with { AfterStep = s => counts[s] = LiveTensors.Count });
        Assert.Equal(counts[2], counts[6]);   // no tensor leaks across steps

        var interrupted = straight with { Output = dir.File("interrupted") };
        Assert.Throws<OperationCanceledException>(() => KtoJob.Run(interrupted with
        {
            AfterStep = s => { if (s == 3) throw new OperationCanceledException("interrupted"); },
        }));
        Assert.Equal(2, new CheckpointStore(Path.Combine(interrupted.Output, "checkpoints"), 2).Latest);
        Assert.Equal("failed", DpoTestKit.Run(interrupted.Output)["status"]!.GetValue<string>());
        KtoJob.Run(interrupted with { Training = training with { Resume = true } });

        Assert.Equal(Weights(straight.Output), Weights(interrupted.Output));
        var a = DpoTestKit.Metrics(straight.Output);
        var b = DpoTestKit.Metrics(interrupted.Output);
        Assert.Equal(6, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
            foreach (string key in new[] { "step", "loss", "lr", "grad_norm", "rewards/chosen", "kl" })
                Assert.Equal(a[i][key]!.GetValue<double>(), b[i][key]!.GetValue<double>());
        Assert.Equal("cache", DpoTestKit.Run(interrupted.Output)["reference"]!["train"]!["source"]!.GetValue<string>());

        // Negative control: another seed ends elsewhere.
        var reseeded = straight with { Output = dir.File("reseeded"), Training = training with { Seed = 3 } };
        KtoJob.Run(reseeded);
        Assert.NotEqual(Weights(straight.Output), Weights(reseeded.Output));
    }

    [Fact]
    public void Pairs_train_as_desirable_and_undesirable_examples_with_held_out_metrics()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 12);
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 6);
        string eval = DpoTestKit.Pairs(dir.File("eval.jsonl"), 3, seed: 31);
        var options = Options(model, data, dir.File("run"), dir.File("cache"), training: new() { Lr = 5e-3, BatchSize = 4, GradAccum = 1, MaxSteps = 2, Seed = 3 }) with { EvalData = eval };
        KtoJob.Run(options);
        var run = DpoTestKit.Run(options.Output);
        Assert.Equal(6, run["kto"]!["desirable"]!.GetValue<long>());
        Assert.Equal(6, run["kto"]!["undesirable"]!.GetValue<long>());
        Assert.Equal("pairwise", run["data"]!["train"]!["read"]!["format"]!.GetValue<string>());
        Assert.Equal(12, run["reference"]!["train"]!["examples"]!.GetValue<long>());
        var metrics = DpoTestKit.Metrics(options.Output);
        var evaluation = metrics.Single(m => m["eval/loss"] is not null);
        foreach (string name in new[] { "eval/rewards/chosen", "eval/rewards/rejected", "eval/rewards/margins", "eval/logps/chosen", "eval/kl" })
            Assert.NotNull(evaluation[name]);

        // The reference cache is keyed apart from DPO's on the same file.
        var dpo = DpoTestKit.Options(model, data, dir.File("dpo"), dir.File("cache"), training: new() { Lr = 5e-3, BatchSize = 4, GradAccum = 1, MaxSteps = 1, Seed = 3 });
        PrefLab.Algorithms.Dpo.DpoJob.Run(dpo);
        Assert.Equal("computed", DpoTestKit.Run(dpo.Output)["reference"]!["train"]!["source"]!.GetValue<string>());
    }

    [Fact]
    public void A_micro_batch_of_one_is_refused_naming_the_option()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 12);
        string data = Unpaired(dir.File("kto.jsonl"), 4);
        var error = Assert.Throws<UserError>(() => KtoJob.Run(Options(model, data, dir.File("run"), dir.File("cache"),
            training: new() { BatchSize = 1, GradAccum = 4, MaxSteps = 1 })));
        Assert.Contains("batch-size", error.Message);
        Assert.False(File.Exists(Path.Combine(dir.File("run"), "run.json")));
    }
}
