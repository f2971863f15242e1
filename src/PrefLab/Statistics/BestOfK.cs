namespace PrefLab.Statistics;

/// <summary>
/// The expected value of best-of-k selection computed from N ≥ k samples of one prompt, exactly over every
/// k-subset of the N (drawn without replacement, all equally likely): reusing the N samples for every k gives
/// an unbiased, lower-variance estimate than taking the first k. A subset's pick is its sample with the highest
/// score (ties: the lower sample index; an unscored sample, score null, is never preferred to a scored one).
/// With the samples ordered so that any subset's pick is its last member, the sample at position j (0-based) is
/// the pick of C(j, k-1) of the C(N, k) subsets, so E = Σ_j C(j, k-1) / C(N, k) · value_j.
/// </summary>
public static class BestOfK
{
    /// <summary>Sample indices from least to most preferred by <paramref name="scores"/>.</summary>
    public static int[] PreferenceOrder(IReadOnlyList<double?> scores) =>
        Enumerable.Range(0, scores.Count)
            .OrderBy(i => scores[i] ?? double.NegativeInfinity)
            .ThenByDescending(i => i)
            .ToArray();

    /// <summary>The index of the pick among all N samples (the most preferred).</summary>
    public static int Pick(IReadOnlyList<double?> scores) => PreferenceOrder(scores)[^1];

    /// <summary>Expected <paramref name="values"/> of the pick of a uniformly random k-subset, ranked by <paramref name="scores"/>.</summary>
    public static double Expected(IReadOnlyList<double?> scores, IReadOnlyList<double> values, int k)
    {
        int n = scores.Count;
        if (values.Count != n) throw new ArgumentException($"{n} scores but {values.Count} values");
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {n}]");
        var order = PreferenceOrder(scores);
        double total = Choose(n, k), expected = 0;
        for (int j = k - 1; j < n; j++) expected += Choose(j, k - 1) / total * values[order[j]];
        return expected;
    }

    /// <summary>Binomial coefficient C(n, k) as a double (exact for the sizes used here).</summary>
    public static double Choose(int n, int k)
    {
        if (k < 0 || k > n) return 0;
        k = Math.Min(k, n - k);
        double result = 1;
        for (int i = 1; i <= k; i++) result = result * (n - k + i) / i;
        return Math.Round(result);
    }
}
