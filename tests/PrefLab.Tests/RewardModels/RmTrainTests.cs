using System.Text.Json.Nodes;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Tests.Cli;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.Training;
using Xunit;
using static PrefLab.Tests.RewardModels.RmTestKit;

namespace PrefLab.Tests.RewardModels;

public class RmTrainTests
{
    static List<JsonNode> Lines(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!).ToList();

    [Fact]
    public void A_few_steps_at_a_high_learning_rate_change_every_parameter_and_log_the_RM_metrics()
    {
        using var dir = new TempDir();
        string init = CausalFolder(dir.File("init"), seed: 2);
        string data = PairwiseFile(dir.File("train.jsonl"), 24);
        string eval = PairwiseFile(dir.File("eval.jsonl"), 8);
        var (exit, output, error) = CliAppTests.Run("rm", "train", "--model", init, "--data", data, "--output", dir.File("out"),
            "--max-steps", "6", "--lr", "1e-2", "--batch-size", "4", "--grad-accum", "1", "--max-length", "32", "--seed", "3",
            "--eval-data", eval, "--eval-every", "3");
        Assert.True(exit == 0, error);
        Assert.Contains("rm train: 6 steps; model saved to", output);

        // Every parameter moved from where training started (backbone of the LM, head drawn from the seed's stream).
        using (var start = RewardModelJob.LoadModel(init, seed: 3, out string initialisation))
        {
            Assert.Contains("new score head", initialisation);
            var before = start.parameters().Select(p => p.data<float>().ToArray()).ToArray();
            var after = Weights(dir.File("out"));
            Assert.Equal(before.Length, after.Length);
            for (int i = 0; i < before.Length; i++) Assert.NotEqual(before[i], after[i]);
        }

        var lines = Lines(Path.Combine(dir.File("out"), "metrics.jsonl"));
        var steps = lines.Where(l => l["loss"] is not null).ToList();
        Assert.Equal(6, steps.Count);
        foreach (string name in new[] { "loss", "accuracy", "margin", "reward/chosen", "reward/rejected", "lr", "grad_norm", "tokens_per_sec", "elapsed_sec" })
            Assert.True(steps[0][name] is not null, name);
        Assert.True(steps[^1]["margin"]!.GetValue<double>() > steps[0]["margin"]!.GetValue<double>());
        var evals = lines.Where(l => l["eval/accuracy"] is not null).ToList();
        Assert.Equal(new long[] { 3, 6 }, evals.Select(l => l["step"]!.GetValue<long>()));
        foreach (string name in new[] { "eval/loss", "eval/margin", "eval/reward/chosen", "eval/reward/rejected" }) Assert.True(evals[0][name] is not null, name);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("out"), "config.json")))!;
        Assert.Equal("LlamaForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal(1, config["num_labels"]!.GetValue<int>());
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "tokenizer_config.json")));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("out"), "run.json")))!;
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal("rm train", run["command"]!.GetValue<string>());
        // The paper's schedule unless told otherwise: linear decay to 0.1 x lr, 3% warm-up, AdamW betas 0.9/0.95, clip 1.
        Assert.Equal(0.1, run["options"]!["min-lr-ratio"]!.GetValue<double>());
        Assert.Equal(0.03, run["options"]!["warmup-ratio"]!.GetValue<double>());
        Assert.Equal(0.95, run["options"]!["beta2"]!.GetValue<double>());
        Assert.Equal(1.0, run["options"]!["clip-norm"]!.GetValue<double>());
        Assert.Equal(24, run["data"]!["train"]!["tokenization"]!["kept"]!.GetValue<long>());

        // A reward model folder continues from its own head.
        var (exit2, _, error2) = CliAppTests.Run("rm", "train", "--model", dir.File("out"), "--data", data, "--output", dir.File("again"),
            "--max-steps", "1", "--lr", "1e-3", "--batch-size", "4", "--max-length", "32");
        Assert.True(exit2 == 0, error2);
        var again = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("again"), "run.json")))!;
        Assert.Contains("continued", again["model"]!["initialisation"]!.GetValue<string>());
    }

    [Fact]
    public void Pairs_that_would_be_truncated_are_dropped_and_counted()
    {
        using var dir = new TempDir();
        string data = dir.File("long.jsonl");
        string longAnswer = string.Join(' ', Enumerable.Repeat("the sky is blue .", 8));
        File.WriteAllLines(data, Enumerable.Range(0, 12).Select(i => new JsonObject
        {
            ["prompt"] = "what is the capital of france ?",
            ["chosen"] = "paris .",
            ["rejected"] = i % 4 == 0 ? longAnswer : "blue .",
        }.ToJsonString()));
        var tokenizer = TokenizerLoader.Load(Tokenizer);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        var kept = PairTokenization.ReadWithRecords(data, chat, 24, new ReadOptions(), out var report);
        Assert.Equal(9, kept.Count);
        Assert.All(kept, p => Assert.Equal("blue .", p.Record.Rejected[0].Content));
        Assert.All(kept, p => Assert.True(p.Tokens.Chosen.Length <= 24 && p.Tokens.Rejected.Length <= 24));
        Assert.Equal(3, report["tokenization"]!["dropped"]!.GetValue<long>());
        Assert.Equal(3, report["tokenization"]!["dropped_by_reason"]!["longer than --max-length"]!.GetValue<long>());
        Assert.Equal(0, report["tokenization"]!["truncated"]!.GetValue<long>());
        // Without the limit, nothing is dropped (so the drops above are the length's doing).
        Assert.Equal(12, PairTokenization.Read(data, chat, 512, new ReadOptions(), out _).Count);

        // Through rm train the counts land in run.json.
        var (exit, _, error) = CliAppTests.Run("rm", "train", "--model", CausalFolder(dir.File("init")), "--data", data,
            "--output", dir.File("out"), "--max-steps", "1", "--batch-size", "3", "--max-length", "24");
        Assert.True(exit == 0, error);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("out"), "run.json")))!;
        Assert.Equal(9, run["data"]!["train"]!["tokenization"]!["kept"]!.GetValue<long>());
        Assert.Equal(3, run["data"]!["train"]!["tokenization"]!["dropped"]!.GetValue<long>());
    }

    [Fact]
    public void A_resumed_run_equals_the_uninterrupted_run()
    {
        using var dir = new TempDir();
        string init = CausalFolder(dir.File("init"), seed: 4);
        string data = PairwiseFile(dir.File("train.jsonl"), 20, withMargin: true);
        RewardModelJobOptions Options(string output, long seed = 5, bool resume = false, Action<long>? after = null) => new()
        {
            Model = init, Data = data, Output = dir.File(output), MaxLength = 32, UseMargin = true, MarginScale = 0.5, AfterStep = after,
            Training = RewardModelJob.PaperTraining with { Lr = 5e-3, BatchSize = 2, GradAccum = 2, MaxSteps = 6, SaveEvery = 2, Seed = seed, Resume = resume },
        };
        var straight = RewardModelJob.Run(Options("straight"));
        Assert.Throws<OperationCanceledException>(() => RewardModelJob.Run(Options("resumed", after: s => { if (s == 3) throw new OperationCanceledException(); })));
        var resumed = RewardModelJob.Run(Options("resumed", resume: true));

        Assert.Equal(straight.Steps, resumed.Steps);
        Assert.Equal(Weights(dir.File("straight")), Weights(dir.File("resumed")));
        var a = Lines(Path.Combine(dir.File("straight"), "metrics.jsonl"));
        var b = Lines(Path.Combine(dir.File("resumed"), "metrics.jsonl"));
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
            foreach (string key in new[] { "step", "epoch", "loss", "accuracy", "margin", "reward/chosen", "reward/rejected", "lr", "grad_norm" })
                Assert.Equal(a[i][key]?.ToJsonString(), b[i][key]?.ToJsonString());
        // Negative control: another seed ends elsewhere.
        RewardModelJob.Run(Options("other", seed: 6));
        Assert.NotEqual(Weights(dir.File("straight")), Weights(dir.File("other")));
    }

    [Fact]
    public void Margins_are_used_only_when_asked_and_only_when_the_data_has_them()
    {
        using var dir = new TempDir();
        string init = CausalFolder(dir.File("init"));
        string plain = PairwiseFile(dir.File("plain.jsonl"), 8);
        var noMargins = CliAppTests.Run("rm", "train", "--model", init, "--data", plain, "--output", dir.File("a"), "--margin", "--max-steps", "1");
        Assert.Equal(2, noMargins.Exit);
        Assert.Contains("--margin", noMargins.Err);
        Assert.Contains("carries no margins", noMargins.Err);
        Assert.False(Directory.Exists(dir.File("a")));

        var scaleAlone = CliAppTests.Run("rm", "train", "--model", init, "--data", plain, "--output", dir.File("b"), "--margin-scale", "2", "--max-steps", "1");
        Assert.Equal(2, scaleAlone.Exit);
        Assert.Contains("--margin-scale", scaleAlone.Err);

        string scored = PairwiseFile(dir.File("scored.jsonl"), 8, withMargin: true);
        var (exit, _, error) = CliAppTests.Run("rm", "train", "--model", init, "--data", scored, "--output", dir.File("c"), "--margin",
            "--margin-scale", "0.5", "--max-steps", "1", "--batch-size", "8", "--max-length", "32");
        Assert.True(exit == 0, error);
        var loss = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("c"), "run.json")))!["loss"]!;
        Assert.Equal(0.5, loss["margin"]!["margin_scale"]!.GetValue<double>());
        Assert.Equal(8, loss["margin"]!["pairs_with_margin"]!.GetValue<int>());
    }

    [Fact]
    public void User_mistakes_are_one_line_naming_the_option_or_the_file_line_and_field()
    {
        using var dir = new TempDir();
        string init = CausalFolder(dir.File("init"));
        var missing = CliAppTests.Run("rm", "train", "--model", dir.File("nope"), "--data", PairwiseFile(dir.File("d.jsonl"), 4), "--output", dir.File("o"));
        Assert.Equal(2, missing.Exit);
        Assert.Contains("--model", missing.Err);
        Assert.Single(missing.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        string bad = dir.File("bad.jsonl");
        File.WriteAllText(bad, """{"prompt":"hello","chosen":"yes .","rejected":"no ."}""" + "\n" + """{"prompt":"hello","chosen":"yes ."}""" + "\n");
        var badRow = CliAppTests.Run("rm", "train", "--model", init, "--data", bad, "--output", dir.File("o2"));
        Assert.Equal(2, badRow.Exit);
        Assert.Contains("bad.jsonl:2", badRow.Err);
        Assert.Contains("rejected", badRow.Err);
        Assert.False(Directory.Exists(dir.File("o2")));

        var binarize = CliAppTests.Run("rm", "train", "--model", init, "--data", PairwiseFile(dir.File("d2.jsonl"), 4), "--output", dir.File("o3"), "--binarize", "best-worst");
        Assert.Equal(2, binarize.Exit);
        Assert.Contains("--binarize", binarize.Err);

        var lr = CliAppTests.Run("rm", "train", "--model", init, "--data", dir.File("d.jsonl"), "--output", dir.File("o4"), "--lr", "-1");
        Assert.Equal(2, lr.Exit);
        Assert.Contains("--lr", lr.Err);
    }
}
