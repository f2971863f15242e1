using PrefLab.Statistics;
using Xunit.Abstractions;
using Xunit;

namespace PrefLab.Tests.Evaluation;

/// <summary>
/// The average over categories (the mean of the category means) resamples items within each category, so every
/// replicate keeps each category's count. Simulated evaluations with known, very different category means: the
/// stratified 95% interval covers the true average about 95% of the time; the pooled resample, whose replicates let
/// category counts vary, over-covers with wider intervals.
/// </summary>
public class StratifiedBootstrapTests(ITestOutputHelper output)
{
    static readonly double[] CategoryMeans = [0.1, 0.5, 0.95];
    static readonly int[] CategorySizes = [40, 40, 40];
    const double Spread = 0.1;
    static double TrueAverage => CategoryMeans.Average();

    /// <summary>One simulated evaluation: item scores weighted N / (C n_c), as the reports weight them, and each item's category.</summary>
    static (double[] Weighted, int[] Strata) Simulate(Random random)
    {
        int total = CategorySizes.Sum(), categories = CategorySizes.Length;
        var weighted = new List<double>();
        var strata = new List<int>();
        for (int c = 0; c < categories; c++)
            for (int i = 0; i < CategorySizes[c]; i++)
            {
                // Normal(mean, spread) by Box-Muller.
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                double score = CategoryMeans[c] + Spread * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                weighted.Add(score * total / (categories * (double)CategorySizes[c]));
                strata.Add(c);
            }
        return (weighted.ToArray(), strata.ToArray());
    }

    static (double Coverage, double Width) Coverage(bool stratified, int simulations = 400)
    {
        var random = new Random(20261206);
        var options = new BootstrapOptions { Resamples = 400, Seed = 7 };
        int covered = 0;
        double width = 0;
        for (int s = 0; s < simulations; s++)
        {
            var (weighted, strata) = Simulate(random);
            var estimate = Bootstrap.Mean(weighted, options, stratified ? strata : null);
            if (estimate.Contains(TrueAverage)) covered++;
            width += estimate.Width;
        }
        return ((double)covered / simulations, width / simulations);
    }

    [Fact]
    public void Stratified_intervals_of_the_category_average_cover_at_the_nominal_rate_and_pooled_ones_are_too_wide()
    {
        var stratified = Coverage(stratified: true);
        var pooled = Coverage(stratified: false);
        output.WriteLine($"stratified: coverage {stratified.Coverage:F3}, mean width {stratified.Width:F4}; pooled: coverage {pooled.Coverage:F3}, mean width {pooled.Width:F4}");
        Assert.InRange(stratified.Coverage, 0.91, 0.98);
        Assert.True(pooled.Coverage > 0.99, $"pooled coverage {pooled.Coverage:F3}");
        Assert.True(pooled.Width > 1.5 * stratified.Width, $"pooled width {pooled.Width:F4} vs stratified {stratified.Width:F4}");
    }

    [Fact]
    public void Every_stratified_replicate_keeps_the_category_counts_so_a_constant_per_category_score_has_no_spread()
    {
        // Each category scores a constant, so the mean of the category means is the same in every stratified replicate.
        var strata = new[] { 0, 0, 1, 1, 1, 1, 1, 1, 2, 2 };
        double[] perCategory = [0.0, 0.5, 1.0];
        int total = strata.Length;
        var weighted = strata.Select(c => perCategory[c] * total / (3.0 * strata.Count(x => x == c))).ToArray();
        var estimate = Bootstrap.Mean(weighted, new BootstrapOptions { Resamples = 500 }, strata);
        Assert.Equal(0.5, estimate.Mean, 12);
        Assert.Equal(0.5, estimate.Lower, 12);
        Assert.Equal(0.5, estimate.Upper, 12);
        // Negative control: pooled draws move the category counts, so the same scores get an interval.
        var pooled = Bootstrap.Mean(weighted, new BootstrapOptions { Resamples = 500 });
        Assert.True(pooled.Width > 0.1, $"pooled width {pooled.Width}");
    }

    [Fact]
    public void Paired_differences_over_seeds_take_strata_too()
    {
        var strata = new[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1 };
        var first = new IReadOnlyList<double>[] { strata.Select(c => c == 0 ? 0.3 : 0.8).ToArray() };
        var second = new IReadOnlyList<double>[] { strata.Select(c => c == 0 ? 0.1 : 0.8).ToArray() };
        var difference = Bootstrap.DifferenceOverSeeds(first, second, new BootstrapOptions { Resamples = 300 }, strata: strata);
        Assert.Equal(0.2 * 3 / 10, difference.Mean, 12);
        Assert.Equal(difference.Mean, difference.Lower, 12);   // constant differences within each stratum
        Assert.Equal(difference.Mean, difference.Upper, 12);
    }
}
