using PrefLab.Algorithms.Dpo;
using PrefLab.Tests.Fixtures;
using PrefLab.Training;
using Xunit;
using Xunit.Abstractions;

namespace PrefLab.Tests.Algorithms.Dpo;

/// <summary>DPO on the small Preference World, from the shared fixture's SFT model (never retrained here).</summary>
[Collection("WorldModels")]
public class DpoLearnabilityTests(WorldModelsFixture world, ITestOutputHelper output)
{
    /// <summary>
    /// The World recipe: gentle and long (10 epochs at lr 1e-5, effective batch 16). world-small needs larger steps than
    /// the paper's 5e-7 for 13B models, but larger ones than this gain no held-out accuracy and lower the greedy answers' gold:
    /// measured (seed 1, same split) 3 epochs at 1e-4 gave accuracy 0.600 and gold 0.2506; 3 at 3e-4, 0.650 and 0.2244;
    /// 3 at 1e-3, 0.600 and 0.1930 (gold: mean over categories of 20 greedy items each, SFT 0.2644) — safety and
    /// instruction following are what large steps lose.
    /// </summary>
    public static TrainingOptions WorldRecipe => WorldModelsFixture.Recipe.Dpo;
    public static double Beta => WorldModelsFixture.Recipe.DpoBeta;
    public const int HeldOut = 40;
    /// <summary>Generative evaluation items per category: 40 takes them all (248), the least noisy estimate the World offers.</summary>
    public const int GoldItemsPerCategory = 40;

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
        // stated threshold 0.65 at the end. Measured with this recipe: 0.700 (seed 1, this test), 0.675 (seed 2).
        // 40 pairs are a coarse estimate (one pair = 0.025), and about a third of the World's pairs are gold ties the
        // labeler had to break at random, so accuracy well above 0.8 is not on offer at this size.
        double accuracy = result.FinalMetrics["eval/rewards/accuracies"];
        Assert.True(accuracy >= 0.65, $"held-out implicit-reward accuracy {accuracy:F3}");
        Assert.True(result.FinalMetrics["eval/rewards/margins"] > 0);

        // Greedy answers to the same held-out prompts, judged by the World's gold scorer. Stated margin: the mean over
        // categories rises by more than 0.002. Measured: SFT 0.2635 -> DPO 0.2677 (seed 1, this test; +0.0042, mostly
        // reasoning +0.015) and 0.2708 (seed 2; +0.0073). The gain is small: offline DPO on 200 pairs moves a 1M-parameter
        // policy's greedy answers little, and larger steps lower them (see WorldRecipe).
        var sft = world.GoldScores(world.SftDir, GoldItemsPerCategory);
        var dpo = world.GoldScores(options.Output, GoldItemsPerCategory);
        string table = string.Join("; ", sft.Keys.Select(c => $"{c} {sft[c]:F3} -> {dpo[c]:F3}")) +
            $"; mean {sft.Values.Average():F4} -> {dpo.Values.Average():F4}";
        output.WriteLine($"held-out accuracy {accuracy:F3}, margin {result.FinalMetrics["eval/rewards/margins"]:F3}, {result.Steps} steps; gold {table}");
        Assert.True(dpo.Values.Average() > sft.Values.Average() + 0.002, table);
    }
}
