using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Tests.Cli;
using PrefLab.Tests.Fixtures;
using PrefLab.Tests.Text;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms.Sft;

public class SftSmokeTests
{
    static float[][] Weights(string folder)
    {
        using var model = CausalLM.Load(folder);
        return model.parameters().Select(p => p.data<float>().ToArray()).ToArray();
    }

    [Theory]
    [InlineData("pretrain")]
    [InlineData("sft")]
    public void A_few_steps_at_a_high_learning_rate_change_every_parameter(string command)
    {
        using var dir = new TempDir();
        string tokenizer = TokenizerFixtures.Folder("world");
        Assert.Equal(0, CliAppTests.Run("init-model", "--preset", "tiny-test", "--tokenizer", tokenizer, "--output", dir.File("init")).Exit);
        string data = dir.File("data.jsonl");
        File.WriteAllLines(data, command == "pretrain"
            ? Enumerable.Range(0, 20).Select(i => $$"""{"text":"what is the capital of france ? paris . {{(i % 2 == 0 ? "paris" : "france")}}"}""")
            : Enumerable.Range(0, 20).Select(i => """{"messages":[{"role":"user","content":"what is the capital of france ?"},{"role":"assistant","content":"paris ."}]}"""));
        var (exit, output, error) = CliAppTests.Run(command, "--model", dir.File("init"), "--data", data, "--output", dir.File("out"),
            "--max-steps", "6", "--lr", "1e-2", "--batch-size", "4", "--max-length", "16", "--seed", "3");
        Assert.True(exit == 0, error);
        Assert.Contains("model saved to", output);

        var before = Weights(dir.File("init"));
        var after = Weights(dir.File("out"));
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.NotEqual(before[i], after[i]);

        var lines = File.ReadAllLines(Path.Combine(dir.File("out"), "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(6, lines.Count);
        Assert.True(lines[^1]["loss"]!.GetValue<double>() < lines[0]["loss"]!.GetValue<double>());
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("out"), "run.json")))!;
        Assert.Equal("completed", run["status"]!.GetValue<string>());
        Assert.Equal(20, run["data"]!["train"]!["read"]!["rows"]!.GetValue<long>());
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "tokenizer.json")));
        Assert.Equal(1e-2, run["options"]!["lr"]!.GetValue<double>());
    }

    [Fact]
    public void Bf16_products_train_deterministically_near_fp32_and_run_json_records_the_precision()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliAppTests.Run("init-model", "--preset", "tiny-test", "--tokenizer", TokenizerFixtures.Folder("world"), "--output", dir.File("init")).Exit);
        string data = dir.File("data.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 20).Select(i => $$"""{"messages":[{"role":"user","content":"what is the capital of france ?"},{"role":"assistant","content":"{{(i % 2 == 0 ? "paris ." : "paris , france .")}}"}]}"""));
        double[] Losses(string name, string precision)
        {
            var (exit, _, error) = CliAppTests.Run("sft", "--model", dir.File("init"), "--data", data, "--output", dir.File(name),
                "--max-steps", "6", "--lr", "1e-2", "--batch-size", "4", "--max-length", "24", "--seed", "3", "--precision", precision);
            Assert.True(exit == 0, error);
            return File.ReadAllLines(Path.Combine(dir.File(name), "metrics.jsonl")).Select(l => JsonNode.Parse(l)!["loss"]!.GetValue<double>()).ToArray();
        }
        var fp32 = Losses("fp32", "fp32");
        var bf16 = Losses("bf16", "bf16");
        Assert.Equal(bf16, Losses("bf16-again", "bf16")); // same seed, same machine: the same numbers
        Assert.NotEqual(fp32, bf16); // the products really ran in bfloat16
        // The first step's loss (before any update) differs only by bfloat16 rounding (8 bits of mantissa); training learns alike.
        Assert.InRange(Math.Abs(bf16[0] - fp32[0]) / fp32[0], 0, 0.02);
        Assert.True(bf16[^1] < bf16[0]);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("bf16"), "run.json")))!;
        Assert.Equal("Bf16", run["options"]!["precision"]!.GetValue<string>());
        Assert.Equal("Fp32", JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("fp32"), "run.json")))!["options"]!["precision"]!.GetValue<string>());

        var (badExit, _, badError) = CliAppTests.Run("sft", "--model", dir.File("init"), "--data", data, "--output", dir.File("bad"), "--precision", "fp16");
        Assert.NotEqual(0, badExit);
        Assert.Contains("--precision", badError);
        Assert.Contains("fp16", badError);
        Assert.False(Directory.Exists(dir.File("bad")));
    }

    [Fact]
    public void Bad_input_names_the_file_line_and_field_and_writes_no_run()
    {
        using var dir = new TempDir();
        Assert.Equal(0, CliAppTests.Run("init-model", "--preset", "tiny-test", "--tokenizer", TokenizerFixtures.Folder("world"), "--output", dir.File("init")).Exit);
        string data = dir.File("bad.jsonl");
        File.WriteAllText(data, """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"paris ."}]}""" + "\n" +
            """{"messages":[{"role":"user"},{"role":"assistant","content":"paris ."}]}""" + "\n");
        var (exit, _, error) = CliAppTests.Run("sft", "--model", dir.File("init"), "--data", data, "--output", dir.File("out"));
        Assert.Equal(2, exit);
        Assert.Contains("bad.jsonl:2", error);
        Assert.Contains("content", error);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}

[Collection("WorldModels")]
public class SftLearnabilityTests(WorldModelsFixture world, ITestOutputHelper output)
{
    [Fact]
    public void Pretraining_then_SFT_on_the_small_World_drives_the_loss_down()
    {
        // Stated thresholds (world-small, small World, recipe in WorldModelsFixture): pretraining loss from ln(465) = 6.14
        // to below 4.0; SFT loss below 2.8 and its token accuracy above 30%.
        Assert.True(world.Pretrain.FinalMetrics["loss"] < 4.0, $"pretrain loss {world.Pretrain.FinalMetrics["loss"]}");
        Assert.True(world.Sft.FinalMetrics["loss"] < 2.8, $"sft loss {world.Sft.FinalMetrics["loss"]}");
        Assert.True(world.Sft.FinalMetrics["mean_token_accuracy"] > 0.30, $"sft accuracy {world.Sft.FinalMetrics["mean_token_accuracy"]}");
    }

    [Fact]
    public void The_SFT_model_beats_the_untrained_one_on_gold_scores()
    {
        // Greedy answers to the same held-out prompts, paired by item. The claim: the mean gold gain's 95% interval
        // excludes 0 (not a gain a fixed seed could give by chance), and some category gains at least 0.15. Measured
        // (seed 1, 140 items): +0.091 [+0.066, +0.121]; instruction 0.00 -> 0.16, safety 0.19 -> 0.38.
        var untrainedItems = world.GoldItemScores(world.InitialDir);
        var sftItems = world.GoldItemScores(world.SftDir);
        var untrained = untrainedItems.GroupBy(i => i.Category).ToDictionary(g => g.Key, g => g.Average(i => i.Score));
        var sft = sftItems.GroupBy(i => i.Category).ToDictionary(g => g.Key, g => g.Average(i => i.Score));
        var uplift = WorldModelsFixture.GoldUplift(sftItems, untrainedItems);
        string table = string.Join("; ", sft.Keys.Select(c => $"{c} {untrained[c]:F2} -> {sft[c]:F2}")) + $"; uplift {uplift}";
        output.WriteLine(table);
        Assert.True(uplift.Lower > 0, table);
        Assert.True(sft.Keys.Any(c => sft[c] >= untrained[c] + 0.15), table);
    }
}
