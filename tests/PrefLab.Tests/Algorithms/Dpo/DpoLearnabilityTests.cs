using PrefLab.Algorithms.Dpo;
using PrefLab.Tests.Fixtures;
using PrefLab.Training;
using Xunit;

namespace PrefLab.Tests.Algorithms.Dpo;

/// <summary>DPO on the small Preference World, from the shared fixture's SFT model (never retrained here).</summary>
[Collection("WorldModels")]
public class DpoLearnabilityTests(WorldModelsFixture world)
{
    /// <summary>The World recipe (world-small needs far larger steps than the paper's 5e-7 for 13B models).</summary>
    public static readonly TrainingOptions WorldRecipe = new()
    {
        Seed = WorldModelsFixture.Seed, Epochs = 3, BatchSize = 8, GradAccum = 2, Lr = 1e-4, WarmupRatio = 0.1, LogEvery = 5,
    };
    public const double Beta = 0.1;
    public const int HeldOut = 40;

    [Fact]
    public void DPO_on_clean_pairs_raises_held_out_implicit_reward_accuracy_and_the_gold_score_of_greedy_answers()
    {
        // The World's pairwise preferences (gold agreement 0.95): the last 40 rows held out.
        string folder = world.NewFolder("dpo");
        var rows = File.ReadAllLines(Path.Combine(world.WorldDir, "preferences", "pairwise.jsonl"));
        string train = Path.Combine(folder, "train.jsonl"), eval = Path.Combine(folder, "eval.jsonl");
        File.WriteAllLines(train, rows[..^HeldOut]);
        File.WriteAllLines(eval, rows[^HeldOut..]);

        var options = new DpoJobOptions
        {
            Model = world.SftDir, Data = train, EvalData = eval, Output = Path.Combine(folder, "run"), RefCache = Path.Combine(folder, "cache"),
            MaxLength = WorldModelsFixture.MaxLength, Dpo = new DpoOptions { Beta = Beta }, Training = WorldRecipe with { EvalEvery = 1000 },
        };
        var result = DpoJob.Run(options);

        // Held-out implicit-reward accuracy: exactly 0 at the start (policy == reference, ties count as wrong),
        // stated threshold 0.65 at the end.
        double accuracy = result.FinalMetrics["eval/rewards/accuracies"];
        Assert.True(accuracy >= 0.65, $"held-out implicit-reward accuracy {accuracy:F3}");
        Assert.True(result.FinalMetrics["eval/rewards/margins"] > 0);

        // Greedy answers to the same held-out prompts, judged by the World's gold scorer.
        var sft = world.GoldScores(world.SftDir);
        var dpo = world.GoldScores(options.Output);
        string table = string.Join("; ", sft.Keys.Select(c => $"{c} {sft[c]:F3} -> {dpo[c]:F3}")) +
            $"; mean {sft.Values.Average():F4} -> {dpo.Values.Average():F4}";
        Assert.True(dpo.Values.Average() > sft.Values.Average(), table);
    }
}
