using System.Text.Json.Nodes;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Scorers;
using PrefLab.Models;
using PrefLab.Statistics;
using PrefLab.Tests.Fixtures;
using PrefLab.Tests.Generation;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.World;
using MultipleChoice = PrefLab.Evaluation.Scorers.MultipleChoice;
using Xunit;
using static PrefLab.Tests.Cli.CliAppTests;

namespace PrefLab.Tests.Evaluation;

/// <summary>
/// The world suite on the fixture's SFT model (a few items a category): generative items carry the model's greedy
/// response and the gold judge's score and aspects; multiple-choice items pick by the log-likelihood of each option as
/// the whole assistant turn, per token by default. Then `preflab eval` with two models: the printed table, and the
/// files' numbers recomputed from items.jsonl (category means, paired deltas and their bootstrap intervals).
/// </summary>
[Collection("WorldModels")]
public class WorldSuiteTests(WorldModelsFixture fixture) : SingleThreadedTests
{
    [Fact]
    public void World_items_are_judged_by_gold_or_picked_by_likelihood()
    {
        var result = Evaluator.Run(new EvaluationOptions
        {
            Models = [fixture.SftDir], Suites = ["world"], World = fixture.WorldDir, Limit = 2, ShowProgress = false,
        });

        Assert.Equal(WorldCategories.All, result.Categories);
        var items = result.Models[0].Items;
        Assert.Equal(14, items.Count);
        var world = fixture.World;
        var evalItems = WorldCategories.All.SelectMany(c => world.EvalItems(c).Take(2)).ToList();
        var generative = evalItems.Where(e => !e.IsMultipleChoice).ToList();
        var responses = References.Greedy(fixture.SftDir, generative.Select(e => e.Task.Prompt).ToList(), 64);
        var tokenizer = TokenizerLoader.Load(fixture.SftDir);
        var format = ChatFormats.Resolve(tokenizer, null);
        using var model = CausalLM.Load(fixture.SftDir);
        int g = 0, choices = 0;
        for (int i = 0; i < evalItems.Count; i++)
        {
            var expected = evalItems[i];
            var item = items[i];
            Assert.Equal((expected.Task.Category, expected.Id), (item.Category, item.ItemId));
            Assert.Equal(expected.Task.Prompt, item.Prompt);
            if (!expected.IsMultipleChoice)
            {
                Assert.Equal(responses[g], item.Response);
                var gold = world.Judge.Score(expected.Task.Prompt, responses[g]);
                Assert.Equal(gold.Overall, item.Score);
                foreach (var (aspect, value) in gold.Aspects) Assert.Equal(value, item.Fields["aspects"]![aspect]!.GetValue<double>());
                g++;
                continue;
            }
            choices++;
            var likelihoods = expected.Choices!.Select(choice =>
            {
                var rendered = format.Render(tokenizer, [new ChatMessage(ChatMessage.User, expected.Task.Prompt), new ChatMessage(ChatMessage.Assistant, choice)]);
                var mask = rendered.FinalTurnMask();
                int end = Array.LastIndexOf(mask, true) + 1;
                return new ChoiceLikelihood(References.LogLikelihood(model, rendered.Ids[..end], mask[..end]), mask.Count(m => m), choice.Length);
            }).ToList();
            var logLikelihoods = item.Fields["log_likelihoods"]!.AsArray().Select(x => x!.GetValue<double>()).ToList();
            for (int o = 0; o < likelihoods.Count; o++) Assert.Equal(likelihoods[o].LogLikelihood, logLikelihoods[o], tolerance: 1e-3);
            int perToken = MultipleChoice.Pick(likelihoods, ChoiceNormalization.PerToken);
            Assert.Equal(perToken == expected.Answer ? 1.0 : 0.0, item.Score);
            Assert.Equal(expected.Choices![perToken], item.Response);
            Assert.Equal(MultipleChoice.Pick(likelihoods, ChoiceNormalization.None) == expected.Answer ? 1.0 : 0.0, item.Metrics["mc_raw"]);
        }
        Assert.True(choices >= 2, "the first items of factuality and truthfulness include multiple choice");
    }

    [Fact]
    public void AlpacaEval_on_World_prompts_is_judged_by_gold_by_default()
    {
        string folder = fixture.NewFolder("alpaca-gold");
        var tasks = fixture.World.EvalItems(WorldCategories.Helpfulness).Take(2).Select(e => e.Task).ToList();
        string path = BenchmarkFiles.Jsonl(folder, "alpaca.jsonl", tasks.Select(t => new JsonObject { ["instruction"] = t.Prompt, ["output"] = t.Reference }).ToArray());

        var result = Evaluator.Run(new EvaluationOptions
        {
            Models = [fixture.SftDir], Suites = [path], World = fixture.WorldDir, MaxNewTokens = 32, ShowProgress = false,
        });

        Assert.Contains(result.Suites[0].Notes, n => n.Contains("gold judge"));
        var items = result.Models[0].Items;
        for (int i = 0; i < tasks.Count; i++)
        {
            double gold = fixture.World.Judge.Score(tasks[i].Prompt, items[i].Response!).Overall;
            Assert.Equal(gold, items[i].Fields["judge_score"]!.GetValue<double>());
            Assert.Equal(1.0, items[i].Fields["baseline_score"]!.GetValue<double>());   // a reference scores exactly 1
            Assert.Equal(WinRate.PreferenceFromScores(gold, 1.0), items[i].Score);
        }
    }

    [Fact]
    public void Eval_command_prints_the_table_with_deltas_and_its_files_agree_with_the_items()
    {
        string output = fixture.NewFolder("eval-world");
        var (exit, stdout, stderr) = Run("eval", "--model", fixture.BaseDir, "--model", fixture.SftDir, "--suite", "world",
            "--world", fixture.WorldDir, "--limit", "3", "--output", output);
        Assert.True(exit == 0, stderr);

        var lines = stdout.Split('\n');
        Assert.Matches(@"^category\s+n\s+base\s+sft\s+sft - base$", lines[0]);
        foreach (string category in WorldCategories.All.Append("average"))
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^{category}\s+\d+\s+\d\.\d{{3}} \[.*\]\s+[+-]?\d\.\d{{3}} \["));
        Assert.Contains("average: the mean of the 7 category means", stdout);

        // Recompute every category's numbers from the per-item output.
        var rows = File.ReadAllLines(Path.Combine(output, "items.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(2 * 21, rows.Count);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "results.json")))!;
        foreach (var category in results["categories"]!.AsArray())
        {
            string name = category!["category"]!.GetValue<string>();
            double[] Scores(string model) => rows.Where(r => r["model"]!.GetValue<string>() == model && r["category"]!.GetValue<string>() == name)
                .Select(r => r["score"]!.GetValue<double>()).ToArray();
            var (baseScores, sftScores) = (Scores("base"), Scores("sft"));
            Assert.Equal(3, baseScores.Length);
            var mean = Bootstrap.Mean(sftScores);
            var delta = Bootstrap.PairedDifference(sftScores, baseScores);
            Assert.Equal(mean.Mean, category["scores"]!["sft"]!["mean"]!.GetValue<double>(), 12);
            Assert.Equal(mean.Lower, category["scores"]!["sft"]!["lower"]!.GetValue<double>(), 12);
            Assert.Equal(delta.Mean, category["deltas"]!["sft"]!["mean"]!.GetValue<double>(), 12);
            Assert.Equal(delta.Lower, category["deltas"]!["sft"]!["lower"]!.GetValue<double>(), 12);
            Assert.Equal(delta.Upper, category["deltas"]!["sft"]!["upper"]!.GetValue<double>(), 12);
        }
        double averageOfMeans = WorldCategories.All.Average(c => rows.Where(r => r["model"]!.GetValue<string>() == "sft" && r["category"]!.GetValue<string>() == c)
            .Average(r => r["score"]!.GetValue<double>()));
        Assert.Equal(averageOfMeans, results["average"]!["scores"]!["sft"]!["mean"]!.GetValue<double>(), 12);
        Assert.True(File.Exists(Path.Combine(output, "report.md")));
        foreach (string plot in WorldCategories.All.Append("average").Append("deltas"))
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(output, "plots", plot + ".png"))[..4]);
        Assert.Contains("base: 17 responses generated, 0 from the cache", stdout);

        // Run again: everything comes from OUT/cache, the numbers are the same.
        var again = Run("eval", "--model", fixture.BaseDir, "--model", fixture.SftDir, "--suite", "world",
            "--world", fixture.WorldDir, "--limit", "3", "--output", output);
        Assert.Equal(0, again.Exit);
        Assert.Contains("base: 0 responses generated, 17 from the cache", again.Out);
        Assert.Equal(stdout.Split('\n')[..9], again.Out.Split('\n')[..9]);
    }
}
