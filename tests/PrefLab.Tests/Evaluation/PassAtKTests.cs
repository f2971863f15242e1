using PrefLab.Evaluation.Scorers;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class PassAtKTests
{
    [Fact]
    public void Matches_brute_force_enumeration_of_all_k_subsets()
    {
        for (int n = 1; n <= 7; n++)
            for (int correct = 0; correct <= n; correct++)
                for (int k = 1; k <= n; k++)
                    Assert.Equal(BruteForce(n, correct, k), PassAtK.Estimate(n, correct, k), 12);
    }

    // Samples 0..correct-1 pass; the share of k-subsets holding at least one of them.
    static double BruteForce(int n, int correct, int k)
    {
        int subsets = 0, passing = 0;
        for (int mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != k) continue;
            subsets++;
            if ((mask & ((1 << correct) - 1)) != 0) passing++;
        }
        return (double)passing / subsets;
    }

    [Fact]
    public void Known_values_and_large_n_stay_exact()
    {
        Assert.Equal(0.0, PassAtK.Estimate(10, 0, 1));
        Assert.Equal(1.0, PassAtK.Estimate(10, 10, 1));
        Assert.Equal(0.3, PassAtK.Estimate(10, 3, 1), 12);
        // 1 - C(199,100)/C(200,100) = 1 - 100/200.
        Assert.Equal(0.5, PassAtK.Estimate(200, 1, 100), 12);
        // Large n: compare with the log-ratio sum of the binomial coefficients.
        int n = 2000, c = 1000, k = 100;
        double logRatio = 0;
        for (int i = 0; i < k; i++) logRatio += Math.Log(n - c - i) - Math.Log(n - i);
        Assert.Equal(1 - Math.Exp(logRatio), PassAtK.Estimate(n, c, k), 12);
    }

    [Fact]
    public void Mean_averages_problems_and_bad_arguments_are_refused()
    {
        Assert.Equal((0.3 + 1.0) / 2, PassAtK.Mean([(10, 3), (5, 5)], k: 1), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(5, 2, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(5, 6, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(5, 2, 0));
    }
}
