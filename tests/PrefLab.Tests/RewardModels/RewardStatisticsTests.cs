using PrefLab.Evaluation.RewardModels;
using PrefLab.World;
using PrefLab.World.Datasets;
using Xunit;

namespace PrefLab.Tests.RewardModels;

public class RewardStatisticsTests
{
    static double Logit(double p) => Math.Log(p / (1 - p));

    [Fact]
    public void Expected_calibration_error_matches_a_hand_computed_example()
    {
        // p = sigmoid(r_c - r_r): 0.77 (right, confidence 0.77), 0.23 (wrong, 0.77), 0.93 (right, 0.93), 0.5 (a tie: 0.5 right).
        double[] chosen = [Logit(0.77), 0, Logit(0.93), 1.25];
        double[] rejected = [0, Logit(0.77), 0, 1.25];
        var calibration = RewardStatistics.ExpectedCalibrationError(chosen, rejected, bins: 10);
        // Bin [0.5, 0.55): 1 pair, confidence 0.5, accuracy 0.5 -> gap 0. Bin [0.75, 0.8): 2 pairs, confidence 0.77,
        // accuracy 0.5 -> gap 0.27. Bin [0.9, 0.95): 1 pair, 0.93 vs 1 -> gap 0.07. ECE = 2/4 * 0.27 + 1/4 * 0.07 = 0.1525.
        Assert.Equal(0.1525, calibration.Ece, 1e-9);
        Assert.Equal(10, calibration.Bins.Count);
        Assert.Equal([1, 0, 0, 0, 0, 2, 0, 0, 1, 0], calibration.Bins.Select(b => b.Pairs));
        Assert.Equal(0.75, calibration.Bins[5].Lower, 1e-12);
        Assert.Equal(0.5, calibration.Bins[5].Accuracy, 1e-12);
        // A perfectly confident, always right model is calibrated; confident and always wrong is not.
        Assert.Equal(0.0, RewardStatistics.ExpectedCalibrationError([100.0, 100.0], [0.0, 0.0]).Ece, 1e-9);
        Assert.Equal(1.0, RewardStatistics.ExpectedCalibrationError([0.0], [100.0]).Ece, 1e-9);
    }

    [Fact]
    public void Pearson_and_Spearman_match_hand_computed_values_with_ties_averaged()
    {
        double[] x = [1, 2, 3, 4], y = [2, 4, 5, 4];
        Assert.Equal(3.5 / Math.Sqrt(5 * 4.75), RewardStatistics.Pearson(x, y)!.Value, 1e-12);
        Assert.Equal([1, 2.5, 4, 2.5], RewardStatistics.Ranks(y));
        Assert.Equal(3.0 / Math.Sqrt(5 * 4.5), RewardStatistics.Spearman(x, y)!.Value, 1e-12);
        Assert.Null(RewardStatistics.Pearson([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]));
        Assert.Equal(1.0, RewardStatistics.Spearman([1.0, 2.0, 3.0], [1.0, 8.0, 27.0])!.Value, 1e-12);
    }

    [Fact]
    public void Length_preference_counts_only_pairs_of_different_length()
    {
        // Pair 0: chosen longer, RM prefers it (longer). Pair 1: rejected longer, RM prefers chosen (shorter).
        // Pair 2: equal lengths (left out).
        var length = RewardStatistics.Length([1.0, 2.0, 2.0], [0.0, 1.0, 2.0], [5, 3, 4], [2, 6, 4]);
        Assert.Equal(2, length.LengthDecidedPairs);
        Assert.Equal(0.5, length.RmPrefersLonger);
        Assert.Equal(0.5, length.ChosenLonger);
        Assert.Equal(6, length.Responses);
        Assert.Equal(RewardStatistics.Pearson([1.0, 2.0, 2.0, 0.0, 1.0, 2.0], [5.0, 3, 4, 2, 6, 4]), length.Pearson);
    }

    [Fact]
    public void World_held_out_pairs_use_only_eval_prompts_are_gold_labelled_and_reproducible()
    {
        var world = WorldInstance.Create(1, WorldScale.Small);
        var set = WorldHeldOutPairs.Build(world, pairsPerPrompt: 2, seed: 3);
        int evalItems = WorldCategories.All.Sum(c => world.EvalItems(c).Count);
        Assert.Equal(2 * evalItems, set.Drawn);
        Assert.Equal(set.Drawn, set.Pairs.Count + set.Ties + set.Identical);
        Assert.True(set.Pairs.Count > set.Drawn / 2, $"{set.Pairs.Count} of {set.Drawn} pairs kept");

        var evalPrompts = WorldCategories.All.SelectMany(c => world.EvalItems(c)).ToDictionary(i => i.Task.Prompt, i => i.Task);
        var trainingPrompts = DatasetCatalog.TrainingFiles.SelectMany(f => world.Plan.Training[f]).Select(t => t.Prompt).ToHashSet();
        foreach (var pair in set.Pairs)
        {
            string prompt = pair.Prompt.Single().Content;
            var task = evalPrompts[prompt];
            Assert.DoesNotContain(prompt, trainingPrompts);
            Assert.Equal(task.Category, pair.Category);
            Assert.Equal(task.Family, pair.Subset);
            double chosen = world.Judge.Score(task, pair.Chosen.Single().Content).Overall;
            double rejected = world.Judge.Score(task, pair.Rejected.Single().Content).Overall;
            Assert.True(chosen > rejected, $"{pair.Id}: gold {chosen} vs {rejected}");
            Assert.Equal(chosen - rejected, pair.Margin!.Value, 1e-12);
        }
        Assert.Equal(WorldCategories.All.Order(StringComparer.Ordinal), set.Pairs.Select(p => p.Category!).Distinct().Order(StringComparer.Ordinal));

        var again = WorldHeldOutPairs.Build(world, pairsPerPrompt: 2, seed: 3);
        Assert.Equal(set.Pairs, again.Pairs);
        var other = WorldHeldOutPairs.Build(world, pairsPerPrompt: 2, seed: 4);
        Assert.NotEqual(set.Pairs.Select(p => p.Chosen[0].Content), other.Pairs.Select(p => p.Chosen[0].Content));
    }
}
