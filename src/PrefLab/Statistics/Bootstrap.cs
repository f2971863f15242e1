namespace PrefLab.Statistics;

/// <summary>
/// Percentile-bootstrap confidence intervals over evaluation items. Each replicate draws the items with
/// replacement (as many as there are), recomputes the statistic, and the interval is the central
/// <see cref="BootstrapOptions.Confidence"/> share of the replicates (quantiles by linear interpolation).
/// The point estimate is always the statistic on the data as observed. Resampling uses the named stream
/// "bootstrap" of <see cref="BootstrapOptions.Seed"/> (<see cref="ResampleStream"/>), so a seed and data give the same
/// interval everywhere.
/// </summary>
/// <remarks>
/// Several seeds: a model trained with S seeds is scored on the same n items per seed. Its score is the mean
/// over seeds of the per-seed item means. A replicate draws one set of item indices shared by every seed
/// (the items are the same questions, so their difficulty is common to all seeds and must not average out),
/// and, with <see cref="SeedResampling.Resample"/> and S &gt; 1, draws the seeds with replacement too; the
/// replicate's statistic is the mean over drawn seeds of the mean over drawn items. Differences between two
/// models share the item draw (paired by item), while each model's seeds are drawn independently.
///
/// Strata: the average over categories is the mean of the category means, so its sampling distribution holds each
/// category's item count fixed. Given <c>strata</c> (each item's category index), a replicate draws n_c items with
/// replacement within every category c instead of N from the pooled set; pooled draws would let the category
/// counts vary between replicates and widen the interval for nothing.
/// </remarks>
public static class Bootstrap
{
    /// <summary>Interval for the mean of per-item scores.</summary>
    /// <param name="strata">Each item's stratum (category) index, for a stratified resample; null: pooled.</param>
    public static Estimate Mean(IReadOnlyList<double> scores, BootstrapOptions? options = null, IReadOnlyList<int>? strata = null) =>
        MeanOverSeeds([scores], options, SeedResampling.Fixed, strata);

    /// <summary>
    /// Paired interval for first − second over the items both scored (matched by key), in <paramref name="first"/>'s
    /// order; null when they share none. N is the number of shared items.
    /// </summary>
    public static Estimate? PairedDifferenceOnShared<TKey>(IEnumerable<(TKey Key, double Score)> first, IReadOnlyDictionary<TKey, double> second,
        BootstrapOptions? options = null) where TKey : notnull
    {
        var firstShared = new List<double>();
        var secondShared = new List<double>();
        foreach (var (key, score) in first)
            if (second.TryGetValue(key, out double other))
            {
                firstShared.Add(score);
                secondShared.Add(other);
            }
        return firstShared.Count == 0 ? null : PairedDifference(firstShared, secondShared, options);
    }

    /// <summary>
    /// Paired interval for mean(first) - mean(second), where first[i] and second[i] score the same item:
    /// one item draw serves both models, so item difficulty cancels.
    /// </summary>
    public static Estimate PairedDifference(IReadOnlyList<double> first, IReadOnlyList<double> second, BootstrapOptions? options = null,
        IReadOnlyList<int>? strata = null)
    {
        if (first.Count != second.Count)
            throw new ArgumentException($"paired scores need the same items: {first.Count} and {second.Count} scores");
        return DifferenceOverSeeds([first], [second], options, SeedResampling.Fixed, strata);
    }

    /// <summary>
    /// Interval for mean(first) - mean(second) when the two score lists are independent samples (different
    /// items, or pairing deliberately ignored): each list is resampled on its own. N is the sum of both counts.
    /// </summary>
    public static Estimate UnpairedDifference(IReadOnlyList<double> first, IReadOnlyList<double> second, BootstrapOptions? options = null)
    {
        options ??= BootstrapOptions.Default;
        options.Validate();
        RequireScores(first, nameof(first));
        RequireScores(second, nameof(second));
        var random = new ResampleStream(options.Seed);
        double[] firstScores = [.. first], secondScores = [.. second];
        var firstCounts = new int[first.Count];
        var secondCounts = new int[second.Count];
        var replicates = new double[options.Resamples];
        for (int b = 0; b < replicates.Length; b++)
        {
            DrawCounts(random, firstCounts);
            DrawCounts(random, secondCounts);
            replicates[b] = WeightedMean(firstScores, firstCounts) - WeightedMean(secondScores, secondCounts);
        }
        return Interval(first.Average() - second.Average(), replicates, options.Confidence, first.Count + second.Count);
    }

    /// <summary>
    /// Interval for sum(numerators) / sum(denominators) over items, resampling items (e.g. IFEval's
    /// instruction-level accuracy: followed instructions over instructions, by prompt).
    /// </summary>
    public static Estimate Ratio(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators, BootstrapOptions? options = null)
    {
        options ??= BootstrapOptions.Default;
        options.Validate();
        RequireScores(numerators, nameof(numerators));
        RequireScores(denominators, nameof(denominators));
        if (numerators.Count != denominators.Count)
            throw new ArgumentException($"a ratio needs one denominator per numerator: {numerators.Count} and {denominators.Count}");
        double totalDenominator = denominators.Sum();
        if (!(totalDenominator > 0)) throw new ArgumentException("the denominators sum to zero or less");
        var random = new ResampleStream(options.Seed);
        double[] top = [.. numerators], bottom = [.. denominators];
        var counts = new int[numerators.Count];
        var replicates = new double[options.Resamples];
        for (int b = 0; b < replicates.Length; b++)
        {
            DrawCounts(random, counts);
            double numerator = 0, denominator = 0;
            for (int i = 0; i < counts.Length; i++)
            {
                numerator += counts[i] * top[i];
                denominator += counts[i] * bottom[i];
            }
            // A resample that drew only zero-denominator items has no ratio of its own; it takes the observed
            // ratio (possible only when most items have zero denominators).
            replicates[b] = denominator > 0 ? numerator / denominator : numerators.Sum() / totalDenominator;
        }
        return Interval(numerators.Sum() / totalDenominator, replicates, options.Confidence, numerators.Count);
    }

    /// <summary>
    /// Interval for the mean over seeds of per-seed item means; <paramref name="scoresBySeed"/>[s][i] is seed s's
    /// score on item i (every seed scores the same items in the same order). See the class remarks for the method.
    /// </summary>
    public static Estimate MeanOverSeeds(IReadOnlyList<IReadOnlyList<double>> scoresBySeed, BootstrapOptions? options = null,
        SeedResampling seeds = SeedResampling.Resample, IReadOnlyList<int>? strata = null)
    {
        options ??= BootstrapOptions.Default;
        options.Validate();
        int items = RequireAligned(scoresBySeed, nameof(scoresBySeed));
        var groups = Groups(strata, items);
        var scores = ToArrays(scoresBySeed);
        var random = new ResampleStream(options.Seed);
        var counts = new int[items];
        var seedDraw = new int[scoresBySeed.Count];
        var replicates = new double[options.Resamples];
        for (int b = 0; b < replicates.Length; b++)
        {
            DrawCounts(random, counts, groups);
            DrawSeeds(random, seedDraw, seeds);
            replicates[b] = MeanOfSeeds(scores, seedDraw, counts);
        }
        return Interval(PointMean(scoresBySeed), replicates, options.Confidence, items);
    }

    /// <summary>
    /// Interval for the difference of two models' seed-averaged means on the same items: one item draw serves
    /// both (paired by item); each model's seeds are drawn on their own. Seed counts may differ between models.
    /// </summary>
    public static Estimate DifferenceOverSeeds(IReadOnlyList<IReadOnlyList<double>> first, IReadOnlyList<IReadOnlyList<double>> second,
        BootstrapOptions? options = null, SeedResampling seeds = SeedResampling.Resample, IReadOnlyList<int>? strata = null)
    {
        options ??= BootstrapOptions.Default;
        options.Validate();
        int items = RequireAligned(first, nameof(first));
        int secondItems = RequireAligned(second, nameof(second));
        if (items != secondItems)
            throw new ArgumentException($"the two models must be scored on the same items: {items} and {secondItems} items");
        var groups = Groups(strata, items);
        double[][] firstScores = ToArrays(first), secondScores = ToArrays(second);
        var random = new ResampleStream(options.Seed);
        var counts = new int[items];
        var firstSeeds = new int[first.Count];
        var secondSeeds = new int[second.Count];
        var replicates = new double[options.Resamples];
        for (int b = 0; b < replicates.Length; b++)
        {
            DrawCounts(random, counts, groups);
            DrawSeeds(random, firstSeeds, seeds);
            DrawSeeds(random, secondSeeds, seeds);
            replicates[b] = MeanOfSeeds(firstScores, firstSeeds, counts) - MeanOfSeeds(secondScores, secondSeeds, counts);
        }
        return Interval(PointMean(first) - PointMean(second), replicates, options.Confidence, items);
    }

    /// <summary>The q-quantile (0..1) of sorted values, by linear interpolation between order statistics.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) throw new ArgumentException("no values");
        double position = (sorted.Count - 1) * q;
        int below = (int)Math.Floor(position);
        if (below >= sorted.Count - 1) return sorted[^1];
        double fraction = position - below;
        return sorted[below] + fraction * (sorted[below + 1] - sorted[below]);
    }

    static Estimate Interval(double point, double[] replicates, double confidence, int n)
    {
        Array.Sort(replicates);
        double tail = (1 - confidence) / 2;
        return new Estimate(point, Quantile(replicates, tail), Quantile(replicates, 1 - tail), n);
    }

    // Multinomial counts of n draws with replacement from n items: the weights of one resample.
    static void DrawCounts(ResampleStream random, int[] counts)
    {
        Array.Clear(counts);
        for (int draw = 0; draw < counts.Length; draw++) counts[random.Next(counts.Length)]++;
    }

    // Stratified: within each group, as many draws with replacement as it has items (null groups: pooled).
    static void DrawCounts(ResampleStream random, int[] counts, int[][]? groups)
    {
        if (groups is null)
        {
            DrawCounts(random, counts);
            return;
        }
        Array.Clear(counts);
        foreach (var group in groups)
            for (int draw = 0; draw < group.Length; draw++) counts[group[random.Next(group.Length)]]++;
    }

    /// <summary>The item indices of each stratum, in order of first appearance (null without strata).</summary>
    static int[][]? Groups(IReadOnlyList<int>? strata, int items)
    {
        if (strata is null) return null;
        if (strata.Count != items) throw new ArgumentException($"{strata.Count} strata for {items} items", nameof(strata));
        return Enumerable.Range(0, items).GroupBy(i => strata[i]).Select(g => g.ToArray()).ToArray();
    }

    static void DrawSeeds(ResampleStream random, int[] seedDraw, SeedResampling seeds)
    {
        bool resample = seeds == SeedResampling.Resample && seedDraw.Length > 1;
        for (int s = 0; s < seedDraw.Length; s++) seedDraw[s] = resample ? random.Next(seedDraw.Length) : s;
    }

    static double[][] ToArrays(IReadOnlyList<IReadOnlyList<double>> scoresBySeed) => scoresBySeed.Select(seed => seed.ToArray()).ToArray();

    static double WeightedMean(double[] scores, int[] counts)
    {
        double sum = 0;
        for (int i = 0; i < counts.Length; i++)
            if (counts[i] != 0) sum += counts[i] * scores[i];
        return sum / counts.Length;
    }

    static double MeanOfSeeds(double[][] scoresBySeed, int[] seedDraw, int[] counts)
    {
        double sum = 0;
        foreach (int s in seedDraw) sum += WeightedMean(scoresBySeed[s], counts);
        return sum / seedDraw.Length;
    }

    static double PointMean(IReadOnlyList<IReadOnlyList<double>> scoresBySeed) => scoresBySeed.Average(seed => seed.Average());

    static int RequireAligned(IReadOnlyList<IReadOnlyList<double>> scoresBySeed, string name)
    {
        if (scoresBySeed.Count == 0) throw new ArgumentException("no seeds", name);
        int items = scoresBySeed[0].Count;
        for (int s = 0; s < scoresBySeed.Count; s++)
        {
            RequireScores(scoresBySeed[s], name);
            if (scoresBySeed[s].Count != items)
                throw new ArgumentException($"every seed must score the same items: seed 0 has {items} scores, seed {s} has {scoresBySeed[s].Count}", name);
        }
        return items;
    }

    static void RequireScores(IReadOnlyList<double> scores, string name)
    {
        if (scores.Count == 0) throw new ArgumentException("no scores", name);
        for (int i = 0; i < scores.Count; i++)
            if (!double.IsFinite(scores[i])) throw new ArgumentException($"score {i} is {scores[i]}, not a finite number", name);
    }
}
