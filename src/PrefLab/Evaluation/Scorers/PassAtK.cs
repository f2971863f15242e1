namespace PrefLab.Evaluation.Scorers;

/// <summary>
/// pass@k for generated programs (Chen et al., 2021): with n samples per problem of which c pass the tests, the
/// unbiased estimate of the chance that at least one of k samples drawn without replacement passes,
/// 1 - C(n - c, k) / C(n, k), computed as 1 - prod over i in (n - c, n] of (1 - k / i) so no binomial
/// coefficient is ever formed (stable for n in the thousands).
/// </summary>
public static class PassAtK
{
    /// <summary>pass@k of one problem with <paramref name="n"/> samples, <paramref name="correct"/> of them passing.</summary>
    public static double Estimate(int n, int correct, int k)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "need at least one sample");
        if (correct < 0 || correct > n) throw new ArgumentOutOfRangeException(nameof(correct), correct, $"passing samples must lie in 0..{n}");
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in 1..{n} (the samples drawn)");
        if (n - correct < k) return 1.0;
        double allFail = 1.0;
        for (int i = n - correct + 1; i <= n; i++) allFail *= 1.0 - (double)k / i;
        return 1.0 - allFail;
    }

    /// <summary>Mean pass@k over problems, each given as (samples, passing samples).</summary>
    public static double Mean(IReadOnlyCollection<(int N, int Correct)> problems, int k)
    {
        if (problems.Count == 0) throw new ArgumentException("no problems", nameof(problems));
        return problems.Average(p => Estimate(p.N, p.Correct, k));
    }
}
