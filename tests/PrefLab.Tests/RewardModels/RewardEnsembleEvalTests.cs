using System.Text.Json.Nodes;
using PrefLab.Evaluation.RewardModels;
using PrefLab.Rewards;
using PrefLab.Tests.Cli;
using Xunit;
using static PrefLab.Tests.RewardModels.RmTestKit;
using static TorchSharp.torch;

namespace PrefLab.Tests.RewardModels;

/// <summary><c>rm eval --ensemble</c> reports the ensemble beside its members; <c>bon</c> picks by the ensemble.</summary>
public class RewardEnsembleEvalTests
{
    static string Rm(TempDir dir, long seed)
    {
        string folder = RewardFolder(dir.File("rm" + seed), seed);
        using var model = PrefLab.Models.ScalarHeadModel.Load(folder);
        using (no_grad()) model.ScoreWeight.mul_(40);
        model.Save(folder, new PrefLab.Models.ModelSaveOptions { PadTokenId = Pad });
        return folder;
    }

    [Fact]
    public void Eval_reports_the_ensemble_beside_its_members_with_intervals_and_a_paired_comparison()
    {
        using var dir = new TempDir();
        string a = Rm(dir, 1), b = Rm(dir, 2);
        new RewardNormalization(0.5, 2.0, Samples: 10).Write(b);
        string data = PairwiseFile(dir.File("eval.jsonl"), 30);

        // The same model twice: the mean ensemble is that model (normalisation is affine, accuracy unchanged).
        var self = RewardModelEvaluator.Evaluate(new RewardEvalOptions
        {
            Models = [a, a], Data = [data], Ensemble = RewardEnsemble.Create(EnsembleCombiner.Mean, null, 2),
        });
        Assert.Equal(3, self.Models.Count);
        Assert.Equal("ensemble-mean", self.Models[2].Model);
        Assert.Equal(self.Models[0].Sets[0].Accuracy, self.Models[2].Sets[0].Accuracy);

        // Two models under min: per pair, min of the normalised rewards; accuracy recomputed by hand.
        var report = RewardModelEvaluator.Evaluate(new RewardEvalOptions
        {
            Models = [a, b], Data = [data], Ensemble = RewardEnsemble.Create(EnsembleCombiner.Min, null, 2),
        });
        var sa = report.Models[0].Sets[0].Scores;
        var sb = report.Models[1].Sets[0].Scores;
        var ensemble = report.Models[2].Sets[0];
        double Norm(double r) => (r - 0.5) / 2.0;
        var correct = Enumerable.Range(0, sa.Index.Length).Select(k =>
        {
            double c = Math.Min(sa.Chosen[k], Norm(sb.Chosen[k])), r = Math.Min(sa.Rejected[k], Norm(sb.Rejected[k]));
            return c > r ? 1.0 : c == r ? 0.5 : 0.0;
        }).ToArray();
        Assert.Equal(correct.Average(), ensemble.Accuracy.Mean, 12);
        Assert.True(ensemble.Accuracy.Lower <= ensemble.Accuracy.Mean && ensemble.Accuracy.Mean <= ensemble.Accuracy.Upper);
        Assert.Contains(report.Comparisons, c => c.Model == "ensemble-min" && c.Baseline == a);
        Assert.Equal("min", report.ToJson()["ensemble"]!["combiner"]!.GetValue<string>());

        var (exit, output, error) = CliAppTests.Run("rm", "eval", "--reward-model", a, "--reward-model", b, "--ensemble", "weights",
            "--ensemble-weights", "2,1", "--data", data, "--compare", "--output", dir.File("eval.json"));
        Assert.True(exit == 0, error);
        Assert.Contains("ensemble-weights", output);
        var json = JsonNode.Parse(File.ReadAllText(dir.File("eval.json")))!;
        Assert.Equal(3, json["models"]!.AsArray().Count);
        Assert.True(json["ensemble"]!["members"]![1]!["normalization"]!["applied"]!.GetValue<bool>());
        Assert.False(json["ensemble"]!["members"]![0]!["normalization"]!["applied"]!.GetValue<bool>());

        var bad = CliAppTests.Run("rm", "eval", "--model", a, "--model", b, "--ensemble", "weights", "--ensemble-weights", "1", "--data", data);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--ensemble-weights", bad.Err);
        var lone = CliAppTests.Run("rm", "eval", "--model", a, "--ensemble", "mean", "--data", data);
        Assert.Equal(2, lone.Exit);
        Assert.Contains("--ensemble", lone.Err);
    }

    [Fact]
    public void Bon_with_an_ensemble_picks_by_the_combined_reward_and_records_the_members()
    {
        using var dir = new TempDir();
        string policy = CausalFolder(dir.File("policy"), seed: 3);
        string a = Rm(dir, 4), b = Rm(dir, 5);
        new RewardNormalization(0.5, 2.0, Samples: 10).Write(b);
        string prompts = dir.File("prompts.jsonl");
        File.WriteAllLines(prompts, ["""{"id":"a","prompt":"what is the capital of france ?"}""", """{"id":"b","prompt":"hello"}"""]);
        string[] Args(string output, params string[] more) =>
            ["bon", "--policy", policy, "--prompts", prompts, "--n", "4", "--output", dir.File(output),
             "--max-new-tokens", "6", "--temperature", "1.0", "--seed", "5", "--report-n", "1,4", .. more];

        var (exit, _, error) = CliAppTests.Run(Args("min", "--reward-model", a, "--reward-model", b, "--ensemble", "min"));
        Assert.True(exit == 0, error);
        var samples = File.ReadAllLines(Path.Combine(dir.File("min"), "samples.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        foreach (var row in samples)
        {
            var members = row["member_rewards"]!.AsArray().Select(m => m!.GetValue<double>()).ToArray();
            Assert.Equal(members.Min(), row["reward"]!.GetValue<double>(), 12);
        }
        foreach (var group in samples.GroupBy(r => r["prompt_id"]!.GetValue<string>()))
        {
            var picked = group.Single(r => r["picked"]!.GetValue<bool>());
            Assert.Equal(group.Max(r => r["reward"]!.GetValue<double>()), picked["reward"]!.GetValue<double>());
        }
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("min"), "summary.json")))!;
        Assert.Equal("min", summary["ensemble"]!["combiner"]!.GetValue<string>());
        Assert.Equal(2, summary["ensemble"]!["members"]!.AsArray().Count);

        // One reward model: rows as before (no member rewards, no ensemble in the summary).
        Assert.Equal(0, CliAppTests.Run(Args("one", "--reward-model", a)).Exit);
        Assert.Null(JsonNode.Parse(File.ReadAllLines(Path.Combine(dir.File("one"), "samples.jsonl"))[0])!["member_rewards"]);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("one"), "summary.json")))!["ensemble"]);

        var bad = CliAppTests.Run(Args("bad", "--reward-model", a, "--reward-model", b, "--ensemble", "weights", "--ensemble-weights", "1,-2"));
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--ensemble-weights", bad.Err);
        Assert.False(Directory.Exists(dir.File("bad")));
    }
}
