using PrefLab.Rewards;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Rewards;

/// <summary>The ensemble's combination rule against hand-computed values, and its validation (errors name the option).</summary>
public class RewardEnsembleTests
{
    // members[member][sample]
    static readonly double[][] Members =
    [
        [1.0, -2.0, 0.5, 3.0],
        [0.0, 1.0, 0.5, -1.0],
        [2.0, 4.0, -0.5, 1.0],
    ];

    static void Close(double[] expected, double[] actual, int digits)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], digits);
    }

    [Fact]
    public void Mean_is_the_members_average_per_sample()
    {
        var rule = RewardEnsemble.Create(EnsembleCombiner.Mean, null, 3);
        Close([1.0, 1.0, 1.0 / 6.0, 1.0], rule.Combine(Members), 12);
    }

    [Fact]
    public void Min_is_the_most_pessimistic_member_per_sample()
    {
        var rule = RewardEnsemble.Create(EnsembleCombiner.Min, null, 3);
        Close([0.0, -2.0, -0.5, -1.0], rule.Combine(Members), 12);
    }

    [Fact]
    public void Weights_give_the_weighted_mean_with_the_weights_rescaled_to_sum_to_one()
    {
        var rule = RewardEnsemble.Create(EnsembleCombiner.Weights, [1, 2, 1], 3);
        // (1*1 + 2*0 + 1*2)/4, (-2 + 2 + 4)/4, (0.5 + 1 - 0.5)/4, (3 - 2 + 1)/4
        Close([0.75, 1.0, 0.25, 0.5], rule.Combine(Members), 12);
        var scaled = RewardEnsemble.Create(EnsembleCombiner.Weights, [10, 20, 10], 3);
        Close(rule.Combine(Members), scaled.Combine(Members), 12);
        // A zero weight drops its member exactly (one member with weight 1 is that member, bit for bit).
        var first = RewardEnsemble.Create(EnsembleCombiner.Weights, [1, 0, 0], 3);
        Assert.Equal(Members[0], first.Combine(Members));
        var json = rule.Describe();
        Assert.Equal("weights", json["combiner"]!.GetValue<string>());
        Assert.Equal(0.5, json["weights_normalized"]![1]!.GetValue<double>(), 12);
    }

    [Fact]
    public void Identical_members_combine_to_themselves_under_every_rule()
    {
        double[] scores = [0.1, -0.3, 7.25, 1e-3];
        foreach (var rule in new[] { RewardEnsemble.Create(EnsembleCombiner.Mean, null, 2), RewardEnsemble.Create(EnsembleCombiner.Min, null, 2),
                     RewardEnsemble.Create(EnsembleCombiner.Weights, [0.3, 0.7], 2) })
            Close(scores, rule.Combine([scores, scores.ToArray()]), 12);
    }

    [Fact]
    public void A_sample_any_member_cannot_score_is_unscored()
    {
        var rule = RewardEnsemble.Create(EnsembleCombiner.Min, null, 2);
        var combined = rule.Combine(new List<double?[]> { new double?[] { 1.0, null, 3.0 }, new double?[] { 2.0, 5.0, null } });
        Assert.Equal(new double?[] { 1.0, null, null }, combined);
    }

    [Theory]
    [InlineData("weights", null, 2, "ensemble-weights", "required")]
    [InlineData("weights", "1,2,3", 2, "ensemble-weights", "3 weights for 2")]
    [InlineData("weights", "1,NaN", 2, "ensemble-weights", "finite")]
    [InlineData("weights", "1,Infinity", 2, "ensemble-weights", "finite")]
    [InlineData("weights", "1,-1", 2, "ensemble-weights", "non-negative")]
    [InlineData("weights", "0,0", 2, "ensemble-weights", "all zero")]
    [InlineData("weights", "1,x", 2, "ensemble-weights", "not a number")]
    [InlineData("mean", "1,1", 2, "ensemble-weights", "only with --ensemble weights")]
    [InlineData("median", null, 2, "ensemble", "mean, min or weights")]
    public void Bad_rules_are_errors_naming_the_option(string combiner, string? weights, int members, string option, string message)
    {
        var error = Assert.Throws<UserError>(() => RewardEnsemble.Create(RewardEnsemble.ParseCombiner(combiner),
            weights is null ? null : RewardEnsemble.ParseWeights(weights), members));
        Assert.Contains("--" + option, error.Message);
        Assert.Contains(message, error.Message);
    }
}
