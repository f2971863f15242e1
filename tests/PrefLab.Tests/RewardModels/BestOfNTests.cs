using System.Text.Json.Nodes;
using PrefLab.Rewards;
using PrefLab.Statistics;
using PrefLab.Tests.Cli;
using Xunit;
using static PrefLab.Tests.RewardModels.RmTestKit;
using static TorchSharp.torch;

namespace PrefLab.Tests.RewardModels;

public class BestOfNTests
{
    static List<JsonNode> Lines(string path) => File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!).ToList();

    /// <summary>Expected value of the pick over every k-subset, by enumeration.</summary>
    static double Enumerated(double?[] scores, double[] values, int k)
    {
        int n = scores.Length;
        double sum = 0;
        int subsets = 0;
        for (int mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != k) continue;
            var members = Enumerable.Range(0, n).Where(i => (mask >> i & 1) == 1).ToList();
            // The pick: highest score, ties to the lower index, unscored never over scored.
            int pick = members.OrderByDescending(i => scores[i] ?? double.NegativeInfinity).ThenBy(i => i).First();
            sum += values[pick];
            subsets++;
        }
        return sum / subsets;
    }

    [Fact]
    public void Best_of_k_from_N_samples_is_the_exact_expectation_over_k_subsets()
    {
        // Hand example: scores 2, 5, 1, 3 and values 10, 20, 30, 40. k = 1: the mean, 25. k = 4: the top score's
        // value, 20. k = 2: pairs pick 20, 10, 40, 20, 20, 40 -> 150 / 6 = 25.
        double?[] scores = [2, 5, 1, 3];
        double[] values = [10, 20, 30, 40];
        Assert.Equal(25, BestOfK.Expected(scores, values, 1), 1e-12);
        Assert.Equal(25, BestOfK.Expected(scores, values, 2), 1e-12);
        Assert.Equal(20, BestOfK.Expected(scores, values, 4), 1e-12);
        Assert.Equal(1, BestOfK.Pick(scores));
        Assert.Equal(70, BestOfK.Choose(8, 4));

        var random = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = random.Next(1, 8);
            // Coarse scores so ties happen; now and then an unscored sample.
            var s = Enumerable.Range(0, n).Select(_ => random.Next(6) == 0 ? (double?)null : random.Next(4)).ToArray();
            var v = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
            for (int k = 1; k <= n; k++)
            {
                Assert.Equal(Enumerated(s, v, k), BestOfK.Expected(s, v, k), 1e-9);
                // Picking by the values themselves (an oracle) never does worse than picking by the scores.
                Assert.True(BestOfK.Expected(v.Select(x => (double?)x).ToArray(), v, k) >= BestOfK.Expected(s, v, k) - 1e-12);
            }
        }
    }

    [Fact]
    public void Bon_writes_every_sample_the_reward_models_pick_and_best_of_k_from_the_same_samples()
    {
        using var dir = new TempDir();
        string policy = CausalFolder(dir.File("policy"), seed: 3);
        string rm = RewardFolder(dir.File("rm"), seed: 4);
        using (var model = PrefLab.Models.ScalarHeadModel.Load(rm))
        {
            using (no_grad()) model.ScoreWeight.mul_(40);
            model.Save(rm, new PrefLab.Models.ModelSaveOptions { PadTokenId = Pad });
        }
        string prompts = dir.File("prompts.jsonl");
        File.WriteAllLines(prompts, ["""{"id":"a","prompt":"what is the capital of france ?"}""", """{"id":"b","prompt":"hello"}""", """{"id":"c","prompt":"name a color ."}"""]);
        string[] Args(string output, params string[] more) =>
            ["bon", "--policy", policy, "--reward-model", rm, "--prompts", prompts, "--n", "4", "--output", dir.File(output),
             "--max-new-tokens", "6", "--temperature", "1.0", "--seed", "5", .. more];
        var (exit, output, error) = CliAppTests.Run(Args("out", "--report-n", "1,2,4"));
        Assert.True(exit == 0, error);
        Assert.Contains("best-of-4", output);

        var samples = Lines(Path.Combine(dir.File("out"), "samples.jsonl"));
        Assert.Equal(12, samples.Count);
        var best = Lines(Path.Combine(dir.File("out"), "best.jsonl"));
        Assert.Equal(new[] { "a", "b", "c" }, best.Select(b => b["prompt_id"]!.GetValue<string>()));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("out"), "summary.json")))!;
        var byK = summary["by_k"]!.AsArray().ToDictionary(k => k!["k"]!.GetValue<int>(), k => k!["reward"]!["mean"]!.GetValue<double>());
        var rewardsByPrompt = samples.GroupBy(s => s["prompt_id"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.OrderBy(s => s["sample"]!.GetValue<int>()).ToList());
        using var model2 = RewardModel.Load(rm);
        foreach (var (id, rows) in rewardsByPrompt)
        {
            Assert.Equal(4, rows.Count);
            var rewards = rows.Select(r => r["reward"]!.GetValue<double>()).ToList();
            int pick = rows.Single(r => r["picked"]!.GetValue<bool>())["sample"]!.GetValue<int>();
            Assert.Equal(rewards.IndexOf(rewards.Max()), pick);
            Assert.Equal(rows[pick]["response"]!.GetValue<string>(), best.Single(b => b["prompt_id"]!.GetValue<string>() == id)["response"]!.GetValue<string>());
            // Each written reward is the reward model's score of that prompt and response.
            string prompt = rows[0]["prompt"]!.GetValue<string>();
            var again = model2.Score(rows.Select(_ => prompt).ToList(), rows.Select(r => r["response"]!.GetValue<string>()).ToList());
            for (int s = 0; s < 4; s++) Assert.Equal(again[s], rewards[s], 1e-4);
        }
        Assert.Equal(rewardsByPrompt.Values.Average(rows => rows.Average(r => r["reward"]!.GetValue<double>())), byK[1], 1e-9);
        Assert.Equal(rewardsByPrompt.Values.Average(rows => rows.Max(r => r["reward"]!.GetValue<double>())), byK[4], 1e-9);
        Assert.True(byK[1] <= byK[2] && byK[2] <= byK[4]);
        Assert.True(rewardsByPrompt.Values.Any(rows => rows.Select(r => r["response"]!.GetValue<string>()).Distinct().Count() > 1), "the samples should differ");

        // Same seed, same samples; another seed, other samples.
        Assert.Equal(0, CliAppTests.Run(Args("again", "--report-n", "1,2,4")).Exit);
        Assert.Equal(File.ReadAllText(Path.Combine(dir.File("out"), "samples.jsonl")), File.ReadAllText(Path.Combine(dir.File("again"), "samples.jsonl")));

        var tooLarge = CliAppTests.Run(Args("bad", "--report-n", "1,8"));
        Assert.Equal(2, tooLarge.Exit);
        Assert.Contains("--report-n", tooLarge.Err);
    }

    [Fact]
    public void Normalising_on_policy_samples_equals_normalising_on_the_same_samples_from_generate()
    {
        using var dir = new TempDir();
        string policy = CausalFolder(dir.File("policy"), seed: 6);
        string rm = RewardFolder(dir.File("rm"), seed: 7);
        string prompts = dir.File("one.jsonl");
        File.WriteAllText(prompts, """{"prompt":"what is the capital of france ?"}""" + "\n");
        var (exit, output, error) = CliAppTests.Run("rm", "normalize", "--model", rm, "--policy", policy, "--prompts", prompts,
            "--samples", "8", "--max-new-tokens", "5", "--seed", "2", "--json");
        Assert.True(exit == 0, error);
        var fromPolicy = JsonNode.Parse(output)!;
        Assert.Equal(8, fromPolicy["samples"]!.GetValue<long>());
        Assert.Equal(0.7, fromPolicy["fitted_on"]!["temperature"]!.GetValue<double>());

        // The same 8 samples through preflab generate (one prompt repeated: the prompt order cannot differ), then --responses.
        string repeated = dir.File("eight.jsonl");
        File.WriteAllLines(repeated, Enumerable.Repeat("""{"prompt":"what is the capital of france ?"}""", 8));
        Assert.Equal(0, CliAppTests.Run("generate", "--model", policy, "--prompts", repeated, "--max-new-tokens", "5", "--temperature", "0.7",
            "--seed", "2", "--output", dir.File("samples.jsonl")).Exit);
        var fromFile = CliAppTests.Run("rm", "normalize", "--model", rm, "--responses", dir.File("samples.jsonl"), "--json");
        Assert.True(fromFile.Exit == 0, fromFile.Err);
        var stored = JsonNode.Parse(fromFile.Out)!;
        Assert.Equal(fromPolicy["mean"]!.GetValue<double>(), stored["mean"]!.GetValue<double>(), 1e-9);
        Assert.Equal(fromPolicy["std"]!.GetValue<double>(), stored["std"]!.GetValue<double>(), 1e-9);

        var both = CliAppTests.Run("rm", "normalize", "--model", rm, "--policy", policy, "--responses", dir.File("samples.jsonl"));
        Assert.Equal(2, both.Exit);
        Assert.Contains("--policy", both.Err);
        var noPrompts = CliAppTests.Run("rm", "normalize", "--model", rm, "--policy", policy);
        Assert.Equal(2, noPrompts.Exit);
        Assert.Contains("--prompts", noPrompts.Err);
    }
}
