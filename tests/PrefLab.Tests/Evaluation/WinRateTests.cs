using PrefLab.Evaluation.Scorers;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class WinRateTests
{
    [Fact]
    public void Preferences_from_scores_give_wins_losses_and_ties()
    {
        Assert.Equal(1.0, WinRate.PreferenceFromScores(2, 1));
        Assert.Equal(0.0, WinRate.PreferenceFromScores(1, 2));
        Assert.Equal(0.5, WinRate.PreferenceFromScores(1, 1));
        Assert.Equal(0.5, WinRate.PreferenceFromScores(1.05, 1, tieMargin: 0.1));
        Assert.Equal(1 / (1 + Math.Exp(-1.0)), WinRate.BradleyTerryPreference(3, 2), 12);
    }

    [Fact]
    public void Raw_win_rate_counts_ties_as_half()
    {
        Assert.Equal(0.625, WinRate.Raw([1, 0, 0.5, 1]), 12);
        Assert.Throws<ArgumentException>(() => WinRate.Raw([1, 1.5]));
        var interval = WinRate.RawWithInterval([1, 0, 0.5, 1, 1, 0, 1, 0.5]);
        Assert.Equal(0.625, interval.Mean, 12);
        Assert.True(interval.Lower < 0.625 && interval.Upper > 0.625);
    }

    [Fact]
    public void Logistic_fit_matches_the_closed_form_for_a_binary_feature()
    {
        // x = 0: one win in four -> sigmoid(a) = 1/4; x = 1: three in four -> sigmoid(a + b) = 3/4.
        double[] x = [0, 0, 0, 0, 1, 1, 1, 1];
        double[] y = [1, 0, 0, 0, 1, 1, 1, 0];
        var fit = LogisticFit.Fit(x, y, ridge: 0);
        Assert.True(fit.Converged);
        Assert.Equal(Math.Log(1.0 / 3), fit.Intercept, 9);
        Assert.Equal(2 * Math.Log(3), fit.Slope, 9);
        // Information [[1.5, 0.75], [0.75, 0.75]]: var(a) = 0.75 / 0.5625.
        Assert.Equal(4.0 / 3, fit.InterceptVariance, 9);
        Assert.Equal(1.5 / 0.5625, fit.SlopeVariance, 9);
    }

    [Fact]
    public void Fit_with_ties_solves_the_score_equations()
    {
        var random = new Random(5);
        var x = Enumerable.Range(0, 500).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        var y = x.Select(v => random.NextDouble() < 0.2 ? 0.5 : random.NextDouble() < LogisticFit.Sigmoid(0.3 + 0.8 * v) ? 1.0 : 0.0).ToArray();
        var fit = LogisticFit.Fit(x, y, ridge: 0);
        double g0 = 0, g1 = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double r = y[i] - LogisticFit.Sigmoid(fit.Intercept + fit.Slope * x[i]);
            g0 += r;
            g1 += r * x[i];
        }
        Assert.True(fit.Converged);
        Assert.Equal(0, g0, 8);
        Assert.Equal(0, g1, 8);
    }

    // The judge prefers the model with logit a + b * tanh(d / sd(d)); the model writes longer outputs on average,
    // so its raw win rate is inflated by length while the intercept recovers sigmoid(a).
    static (double[] Preferences, double[] Differences) Synthetic(double a, double b, double meanDifference, int n, int seed)
    {
        var random = new Random(seed);
        var differences = Enumerable.Range(0, n).Select(_ => meanDifference + 400 * Gaussian(random)).ToArray();
        double scale = WinRate.SampleStandardDeviation(differences);
        var preferences = differences
            .Select(d => random.NextDouble() < LogisticFit.Sigmoid(a + b * Math.Tanh(d / scale)) ? 1.0 : 0.0)
            .ToArray();
        return (preferences, differences);
    }

    [Theory]
    [InlineData(0.0, 1.5, 300.0)]
    [InlineData(0.8, -1.0, 300.0)]
    [InlineData(-0.5, 2.0, -200.0)]
    public void Length_controlled_win_rate_recovers_the_true_rate_at_equal_length(double a, double b, double meanDifference)
    {
        var (preferences, differences) = Synthetic(a, b, meanDifference, n: 20000, seed: 11);
        var result = WinRate.LengthControlled(preferences, differences);
        double truth = LogisticFit.Sigmoid(a);
        Assert.True(result.Converged);
        Assert.InRange(result.WinRate, truth - 0.02, truth + 0.02);
        Assert.InRange(result.Slope, b - 0.15, b + 0.15);
        Assert.True(Math.Abs(result.Intercept - a) < 3 * result.InterceptStandardError,
            $"intercept {result.Intercept} is more than 3 standard errors ({result.InterceptStandardError}) from {a}");
        Assert.True(result.Lower < result.WinRate && result.WinRate < result.Upper);
        // The raw rate is pulled toward the side the judge's length preference favours.
        Assert.True(Math.Abs(result.RawWinRate - truth) > 0.05, $"raw {result.RawWinRate} should differ from {truth}");
        Assert.Equal(Math.Sign(b * meanDifference), Math.Sign(result.RawWinRate - truth));
    }

    [Fact]
    public void A_length_blind_judge_gives_the_raw_rate()
    {
        var (preferences, differences) = Synthetic(0.4, 0.0, 300, n: 20000, seed: 3);
        var result = WinRate.LengthControlled(preferences, differences);
        Assert.InRange(result.WinRate - result.RawWinRate, -0.015, 0.015);
        Assert.InRange(result.Slope, -0.1, 0.1);
    }

    [Fact]
    public void One_sided_judgements_stay_finite()
    {
        var result = WinRate.LengthControlled([1, 1, 1, 1, 1], [10, -20, 30, 0, 5]);
        Assert.True(result.Converged);
        Assert.True(double.IsFinite(result.Intercept));
        Assert.True(result.WinRate > 0.99, $"win rate {result.WinRate}");
    }

    [Fact]
    public void Equal_lengths_leave_an_intercept_only_fit_at_the_raw_rate()
    {
        var result = WinRate.LengthControlled([1, 0, 1, 0.5, 1], [7, 7, 7, 7, 7]);
        Assert.Equal(0.0, result.LengthScale);
        Assert.Equal(0.7, result.WinRate, 3);
        Assert.Equal(0.7, result.RawWinRate, 12);
    }

    [Fact]
    public void Length_differences_are_model_minus_baseline_characters()
    {
        Assert.Equal([2.0, -3.0], WinRate.LengthDifferences(["abcd", "a"], ["ab", "abcd"]));
    }

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
