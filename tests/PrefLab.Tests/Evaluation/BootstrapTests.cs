using PrefLab.Statistics;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class BootstrapTests
{
    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    static double[] Normal(Random random, int n, double mean, double sd) =>
        Enumerable.Range(0, n).Select(_ => mean + sd * Gaussian(random)).ToArray();

    [Fact]
    public void Quantiles_interpolate_between_order_statistics()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(2.5, Bootstrap.Quantile(sorted, 0.5), 12);
        Assert.Equal(1.75, Bootstrap.Quantile(sorted, 0.25), 12);
        Assert.Equal(4, Bootstrap.Quantile(sorted, 1), 12);
        Assert.Equal(1.959964, Normal(0.975), 6);
        Assert.Equal(-2.326348, Normal(0.01), 6);
        Assert.Equal(0, Normal(0.5), 12);
    }

    static double Normal(double p) => PrefLab.Statistics.Normal.Quantile(p);

    [Fact]
    public void Same_seed_same_interval_and_the_point_is_the_sample_mean()
    {
        var scores = Normal(new Random(1), 50, 0.5, 1);
        var first = Bootstrap.Mean(scores, new BootstrapOptions { Seed = 7 });
        var again = Bootstrap.Mean(scores, new BootstrapOptions { Seed = 7 });
        var other = Bootstrap.Mean(scores, new BootstrapOptions { Seed = 8 });
        Assert.Equal(first, again);
        Assert.NotEqual(first.Lower, other.Lower);
        Assert.Equal(scores.Average(), first.Mean, 12);
        Assert.Equal(50, first.N);
        Assert.True(first.Lower < first.Mean && first.Mean < first.Upper);
        var constant = Bootstrap.Mean([0.25, 0.25, 0.25]);
        Assert.Equal(new Estimate(0.25, 0.25, 0.25, 3), constant);
    }

    [Fact]
    public void Width_is_about_two_times_1_96_standard_errors()
    {
        var random = new Random(2);
        foreach (double sd in new[] { 0.5, 2.0 })
        {
            var scores = Normal(random, 400, 1, sd);
            double mean = scores.Average();
            double sampleSd = Math.Sqrt(scores.Sum(s => (s - mean) * (s - mean)) / (scores.Length - 1));
            double expected = 2 * 1.96 * sampleSd / Math.Sqrt(scores.Length);
            var estimate = Bootstrap.Mean(scores);
            Assert.InRange(estimate.Width / expected, 0.92, 1.08);
        }
    }

    [Fact]
    public void Ninety_five_percent_intervals_cover_the_true_mean_about_95_percent_of_the_time()
    {
        const int datasets = 600;
        var random = new Random(3);
        int normalCovered = 0, bernoulliCovered = 0;
        var options = new BootstrapOptions { Resamples = 300 };
        for (int d = 0; d < datasets; d++)
        {
            var normal = Normal(random, 30, 0.3, 1);
            if (Bootstrap.Mean(normal, options with { Seed = d }).Contains(0.3)) normalCovered++;
            var bernoulli = Enumerable.Range(0, 60).Select(_ => random.NextDouble() < 0.3 ? 1.0 : 0.0).ToArray();
            if (Bootstrap.Mean(bernoulli, options with { Seed = d }).Contains(0.3)) bernoulliCovered++;
        }
        // Binomial noise of 600 trials at 95% is 0.9 points; the percentile bootstrap runs slightly narrow at small n.
        Assert.InRange(normalCovered / (double)datasets, 0.915, 0.975);
        Assert.InRange(bernoulliCovered / (double)datasets, 0.915, 0.975);
    }

    [Fact]
    public void Paired_intervals_are_narrower_than_unpaired_when_items_are_correlated()
    {
        var random = new Random(4);
        var difficulty = Normal(random, 200, 0, 1);
        var first = difficulty.Select(d => d + 0.3 * Gaussian(random)).ToArray();
        var second = difficulty.Select(d => d + 0.2 + 0.3 * Gaussian(random)).ToArray();
        var paired = Bootstrap.PairedDifference(first, second);
        var unpaired = Bootstrap.UnpairedDifference(first, second);
        Assert.Equal(first.Average() - second.Average(), paired.Mean, 12);
        Assert.Equal(paired.Mean, unpaired.Mean, 12);
        Assert.True(paired.Width < 0.5 * unpaired.Width, $"paired {paired.Width} vs unpaired {unpaired.Width}");
        Assert.True(paired.Upper < 0, $"the paired interval should exclude 0: {paired}");
        Assert.True(unpaired.Contains(0), $"the unpaired interval should not resolve the difference: {unpaired}");
        Assert.Throws<ArgumentException>(() => Bootstrap.PairedDifference(first, second[..10]));
    }

    [Fact]
    public void Ratio_with_unit_denominators_is_the_mean_and_pools_otherwise()
    {
        var scores = Normal(new Random(5), 30, 0, 1);
        var ones = Enumerable.Repeat(1.0, 30).ToArray();
        var mean = Bootstrap.Mean(scores);
        var asRatio = Bootstrap.Ratio(scores, ones);
        Assert.Equal(mean.Mean, asRatio.Mean, 12);
        Assert.Equal((mean.Lower, mean.Upper), (asRatio.Lower, asRatio.Upper));
        var ratio = Bootstrap.Ratio([1, 2, 0, 3], [1, 3, 2, 4]);
        Assert.Equal(6.0 / 10, ratio.Mean, 12);
        Assert.True(ratio.Lower <= ratio.Mean && ratio.Mean <= ratio.Upper);
    }

    [Fact]
    public void One_seed_over_seeds_is_the_plain_mean()
    {
        var scores = Normal(new Random(6), 60, 0, 1);
        Assert.Equal(Bootstrap.Mean(scores), Bootstrap.MeanOverSeeds([scores]));
        Assert.Equal(Bootstrap.PairedDifference(scores, scores.Select(s => s * 0.5).ToArray()),
            Bootstrap.DifferenceOverSeeds([scores], [scores.Select(s => s * 0.5).ToArray()]));
    }

    [Fact]
    public void Seed_resampling_widens_the_interval_by_the_seed_variance()
    {
        var random = new Random(7);
        const int seeds = 8, items = 400;
        var difficulty = Normal(random, items, 0, 1);
        var seedShift = Normal(random, seeds, 0, 0.5);
        var scores = Enumerable.Range(0, seeds)
            .Select(s => difficulty.Select(d => d + seedShift[s] + 0.5 * Gaussian(random)).ToArray())
            .ToArray<IReadOnlyList<double>>();
        var itemsOnly = Bootstrap.MeanOverSeeds(scores, seeds: SeedResampling.Fixed);
        var withSeeds = Bootstrap.MeanOverSeeds(scores, seeds: SeedResampling.Resample);
        Assert.Equal(scores.Average(s => s.Average()), withSeeds.Mean, 12);

        // Items only: the per-item seed means vary by sd(difficulty + mean noise); shared items keep it near 1/sqrt(n).
        var itemMeans = Enumerable.Range(0, items).Select(i => scores.Average(s => s[i])).ToArray();
        double itemSd = Sd(itemMeans);
        Assert.InRange(itemsOnly.Width / (2 * 1.96 * itemSd / Math.Sqrt(items)), 0.9, 1.1);

        // Seeds add sd(seed means) / sqrt(S) in quadrature (the bootstrap's plug-in variance is (S-1)/S of it).
        double seedSd = Sd(scores.Select(s => s.Average()).ToArray()) * Math.Sqrt((seeds - 1.0) / seeds);
        double combined = Math.Sqrt(itemSd * itemSd / items + seedSd * seedSd / seeds);
        Assert.InRange(withSeeds.Width / (2 * 1.96 * combined), 0.85, 1.15);
        Assert.True(withSeeds.Width > 1.5 * itemsOnly.Width);
    }

    [Fact]
    public void Misaligned_seeds_and_bad_options_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Bootstrap.MeanOverSeeds([[1.0, 2.0], [1.0]]));
        Assert.Throws<ArgumentException>(() => Bootstrap.Mean([]));
        Assert.Throws<ArgumentException>(() => Bootstrap.Mean([1.0, double.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Mean([1.0], new BootstrapOptions { Confidence = 1 }));
        Assert.Throws<ArgumentException>(() => Bootstrap.DifferenceOverSeeds([[1.0, 2.0]], [[1.0, 2.0, 3.0]]));
    }

    static double Sd(double[] values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }
}
