using System.Text.Json.Nodes;
using PrefLab.Data.Reading;
using PrefLab.Evaluation.RewardModels;
using PrefLab.Rewards;
using PrefLab.Tests.Cli;
using Xunit;
using static PrefLab.Tests.RewardModels.RmTestKit;
using static TorchSharp.torch;

namespace PrefLab.Tests.RewardModels;

public class RmScoreAndEvalTests
{
    static readonly string[] Answers = ["paris .", "blue .", "the sky is red .", "i think so .", "no .", "the answer is paris ."];

    static List<JsonNode> Lines(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!).ToList();

    /// <summary>A reward model whose head is scaled up so that rewards differ clearly.</summary>
    static string Rm(TempDir dir, long seed = 1)
    {
        string folder = RewardFolder(dir.File("rm" + seed), seed);
        using var model = PrefLab.Models.ScalarHeadModel.Load(folder);
        using (no_grad()) model.ScoreWeight.mul_(40);
        model.Save(folder, new PrefLab.Models.ModelSaveOptions { PadTokenId = Pad });
        return folder;
    }

    [Fact]
    public void Score_streams_prompt_response_rows_in_order_keeping_their_fields_and_nulls_what_does_not_fit()
    {
        using var dir = new TempDir();
        string rm = Rm(dir);
        string data = dir.File("responses.jsonl");
        string tooLong = string.Join(' ', Enumerable.Repeat("the sky is blue .", 10));
        File.WriteAllLines(data, Enumerable.Range(0, 40).Select(i => new JsonObject
        {
            ["id"] = $"r{i}",
            ["prompt"] = "what is the capital of france ?",
            ["response"] = i == 7 ? tooLong : Answers[i % Answers.Length],
            ["extra"] = i,
        }.ToJsonString()));
        // Batch 2: windows of 16 rows, so the 40 rows cross three windows.
        var (exit, output, error) = CliAppTests.Run("rm", "score", "--model", rm, "--data", data, "--output", dir.File("scored.jsonl"),
            "--batch-size", "2", "--max-length", "24");
        Assert.True(exit == 0, error);
        Assert.Contains("40 rows, 39 responses scored, 1 unscored", output);
        var rows = Lines(dir.File("scored.jsonl"));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"r{i}"), rows.Select(r => r["id"]!.GetValue<string>()));
        Assert.Equal(Enumerable.Range(0, 40), rows.Select(r => r["extra"]!.GetValue<int>()));
        Assert.Null(rows[7]["reward"]);
        Assert.Null(rows[0]["reward_raw"]);

        using var model = RewardModel.Load(rm);
        var expected = model.Score(Answers.Select(_ => "what is the capital of france ?").ToList(), Answers);
        Assert.True(expected.Distinct().Count() == Answers.Length, "the answers should score differently");
        for (int i = 0; i < 40; i++)
            if (i != 7) Assert.Equal(expected[i % Answers.Length], rows[i]["reward"]!.GetValue<double>(), 1e-4);
    }

    [Fact]
    public void Score_reads_pairs_and_conversations_and_writes_to_standard_output_without_output()
    {
        using var dir = new TempDir();
        string rm = Rm(dir);
        string pairs = PairwiseFile(dir.File("pairs.jsonl"), 5);
        var (exit, output, error) = CliAppTests.Run("rm", "score", "--model", rm, "--data", pairs);
        Assert.True(exit == 0, error);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(5, rows.Count);
        Assert.Contains("5 rows, 10 responses scored", error);
        using var model = RewardModel.Load(rm);
        var records = DatasetReader.ReadPairs(pairs).ToList();
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal($"p{i}", rows[i]["id"]!.GetValue<string>());
            Assert.Equal(i + 1, rows[i]["line"]!.GetValue<long>());
            var expected = model.Score([records[i].Prompt, records[i].Prompt], [records[i].Chosen[0].Content, records[i].Rejected[0].Content]);
            Assert.Equal(expected[0], rows[i]["chosen_reward"]!.GetValue<double>(), 1e-4);
            Assert.Equal(expected[1], rows[i]["rejected_reward"]!.GetValue<double>(), 1e-4);
        }

        string conversations = dir.File("conversations.jsonl");
        File.WriteAllText(conversations, """{"id":"c1","messages":[{"role":"user","content":"what is the capital of france ?"},{"role":"assistant","content":"paris ."}]}""" + "\n");
        var chat = CliAppTests.Run("rm", "score", "--model", rm, "--data", conversations, "--output", dir.File("c.jsonl"));
        Assert.True(chat.Exit == 0, chat.Err);
        Assert.Equal(model.Score(["what is the capital of france ?"], ["paris ."])[0], Lines(dir.File("c.jsonl"))[0]["reward"]!.GetValue<double>(), 1e-4);

        string bad = dir.File("bad.jsonl");
        File.WriteAllText(bad, """{"prompt":"hello","response":"yes ."}""" + "\n" + """{"prompt":"hello","response":3}""" + "\n");
        var badRun = CliAppTests.Run("rm", "score", "--model", rm, "--data", bad, "--output", dir.File("bad-out.jsonl"));
        Assert.Equal(2, badRun.Exit);
        Assert.Contains("bad.jsonl:2", badRun.Err);
        Assert.Contains("response", badRun.Err);
        Assert.False(File.Exists(dir.File("bad-out.jsonl")));
        var skipped = CliAppTests.Run("rm", "score", "--model", rm, "--data", bad, "--output", dir.File("skip.jsonl"), "--skip-bad-rows");
        Assert.True(skipped.Exit == 0, skipped.Err);
        Assert.Single(Lines(dir.File("skip.jsonl")));

        var prompts = dir.File("prompts.jsonl");
        File.WriteAllText(prompts, """{"prompt":"hello"}""" + "\n");
        var promptsOnly = CliAppTests.Run("rm", "score", "--model", rm, "--data", prompts);
        Assert.Equal(2, promptsOnly.Exit);
        Assert.Contains("prompts", promptsOnly.Err);
    }

    [Fact]
    public void Normalize_fits_mean_zero_std_one_on_the_samples_and_score_then_applies_it()
    {
        using var dir = new TempDir();
        string rm = Rm(dir);
        string samples = dir.File("samples.jsonl");
        File.WriteAllLines(samples, Enumerable.Range(0, 12).Select(i =>
            new JsonObject { ["prompt"] = "what is the capital of france ?", ["response"] = Answers[i % Answers.Length] }.ToJsonString()));
        var (exit, output, error) = CliAppTests.Run("rm", "normalize", "--model", rm, "--responses", samples, "--json");
        Assert.True(exit == 0, error);
        var fitted = JsonNode.Parse(output)!;
        Assert.Equal(12, fitted["samples"]!.GetValue<long>());
        var stored = RewardNormalization.Read(rm)!;
        Assert.Equal(fitted["mean"]!.GetValue<double>(), stored.Mean);

        Assert.Equal(0, CliAppTests.Run("rm", "score", "--model", rm, "--data", samples, "--output", dir.File("n.jsonl")).Exit);
        var rows = Lines(dir.File("n.jsonl"));
        var normalized = rows.Select(r => r["reward"]!.GetValue<double>()).ToList();
        var raw = rows.Select(r => r["reward_raw"]!.GetValue<double>()).ToList();
        double mean = normalized.Average();
        double std = Math.Sqrt(normalized.Average(x => (x - mean) * (x - mean)));
        Assert.Equal(0.0, mean, 1e-6);
        Assert.Equal(1.0, std, 1e-6);
        Assert.Equal(raw.Average(), stored.Mean, 1e-6);
        // --raw leaves the stored normalisation out.
        Assert.Equal(0, CliAppTests.Run("rm", "score", "--model", rm, "--data", samples, "--output", dir.File("r.jsonl"), "--raw").Exit);
        Assert.Equal(raw, Lines(dir.File("r.jsonl")).Select(r => r["reward"]!.GetValue<double>()).ToList());

        // A constant reward cannot be scaled to std 1.
        string one = dir.File("one.jsonl");
        File.WriteAllLines(one, Enumerable.Repeat(new JsonObject { ["prompt"] = "hello", ["response"] = "yes ." }.ToJsonString(), 3));
        var constant = CliAppTests.Run("rm", "normalize", "--model", rm, "--responses", one);
        Assert.Equal(2, constant.Exit);
        Assert.Contains("equal", constant.Err);
    }

    [Fact]
    public void Eval_reports_accuracy_per_subset_and_compares_models_paired_by_pair()
    {
        using var dir = new TempDir();
        string a = Rm(dir, seed: 1), b = Rm(dir, seed: 2);
        string data = PairwiseFile(dir.File("eval.jsonl"), 30);
        var report = RewardModelEvaluator.Evaluate(new RewardEvalOptions { Models = [a, b, a], Data = [data] });
        var set = report.Models[0].Sets.Single();
        Assert.Equal(30, set.Pairs);

        using var model = RewardModel.Load(a);
        var records = DatasetReader.ReadPairs(data).ToList();
        var chosen = model.Score(records.Select(r => r.Prompt).ToList(), records.Select(r => r.Chosen[0].Content).ToList());
        var rejected = model.Score(records.Select(r => r.Prompt).ToList(), records.Select(r => r.Rejected[0].Content).ToList());
        var correct = chosen.Select((c, i) => c > rejected[i] ? 1.0 : c == rejected[i] ? 0.5 : 0).ToArray();
        Assert.Equal(correct.Average(), set.Accuracy.Mean, 1e-9);
        Assert.True(set.Accuracy.Lower <= set.Accuracy.Mean && set.Accuracy.Mean <= set.Accuracy.Upper);
        Assert.Equal(chosen.Zip(rejected, (c, r) => c - r).Average(), set.MeanMargin, 1e-4);
        var even = set.Subsets.Single(s => s.Key == "category" && s.Value == "even");
        Assert.Equal(15, even.Pairs);
        Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 2 == 0).Average(i => correct[i]), even.Accuracy.Mean, 1e-9);
        Assert.DoesNotContain(set.Subsets, s => s.Key == "source");

        // The first model compared with itself differs by exactly 0; the other model by its accuracy gap.
        var self = report.Comparisons.Single(c => c.Model == a);
        Assert.Equal(0.0, self.Difference.Mean);
        Assert.Equal(0.0, self.Difference.Width);
        var other = report.Comparisons.Single(c => c.Model == b);
        Assert.Equal(report.Models[1].Sets[0].Accuracy.Mean - set.Accuracy.Mean, other.Difference.Mean, 1e-9);

        var (exit, output, error) = CliAppTests.Run("rm", "eval", "--model", a, "--model", b, "--data", data, "--compare", "--output", dir.File("eval.json"));
        Assert.True(exit == 0, error);
        Assert.Contains("eval.jsonl accuracy", output);
        Assert.Contains("category=even", output);
        Assert.Contains("accuracy difference vs", output);
        var json = JsonNode.Parse(File.ReadAllText(dir.File("eval.json")))!;
        Assert.Equal(2, json["models"]!.AsArray().Count);
        Assert.Equal(set.Accuracy.Mean, json["models"]![0]!["sets"]![0]!["accuracy"]!["mean"]!.GetValue<double>(), 1e-12);
        Assert.Equal(10, json["models"]![0]!["sets"]![0]!["calibration"]!["bins"]!.AsArray().Count);

        var nothing = CliAppTests.Run("rm", "eval", "--model", a);
        Assert.Equal(2, nothing.Exit);
        Assert.Contains("--world", nothing.Err);
        var causal = CliAppTests.Run("rm", "eval", "--model", a + "-causal", "--data", data);
        Assert.Equal(2, causal.Exit);
        Assert.Contains("not a reward/value model", causal.Err);
    }
}
