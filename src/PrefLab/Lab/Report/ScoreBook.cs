using PrefLab.Lab.Store;
using PrefLab.Statistics;

namespace PrefLab.Lab.Report;

/// <summary>The items a comparison uses: per category, the item ids every run of every compared configuration
/// scored (in ordinal order), and how many item scores were left out for not being shared.</summary>
public sealed class ItemSet(SortedDictionary<string, string[]> byCategory, int leftOut)
{
    public IReadOnlyDictionary<string, string[]> ByCategory { get; } = byCategory;
    public IReadOnlyList<string> Categories => ByCategory.Keys.ToList();
    public int Count => ByCategory.Values.Sum(v => v.Length);
    public int LeftOut { get; } = leftOut;
}

/// <summary>
/// Item scores from the store, turned into estimates with <see cref="Bootstrap"/>: a category's score is the mean
/// over seeds of the per-seed item means (<see cref="Bootstrap.MeanOverSeeds"/>, resampling items and seeds);
/// the average is the mean of the category means, computed on items reweighted by N / (C · n_category) so that each
/// category counts once, and resampled within each category (stratified); differences between configurations are paired by item
/// (<see cref="Bootstrap.DifferenceOverSeeds"/>).
/// </summary>
public sealed class ScoreBook(LabStore store, BootstrapOptions bootstrap)
{
    readonly Dictionary<string, Dictionary<(string, string), double>> cache = new(StringComparer.Ordinal);

    public BootstrapOptions Bootstrap { get; } = bootstrap;

    public IReadOnlyDictionary<(string Category, string Item), double> Items(string node)
    {
        if (!cache.TryGetValue(node, out var items))
            cache[node] = items = store.EvaluationItems(node).ToDictionary(i => (i.Category, i.ItemId), i => i.Score);
        return items;
    }

    /// <summary>The items every run of every configuration scored.</summary>
    public ItemSet CommonItems(IEnumerable<Config> configs)
    {
        var nodes = configs.SelectMany(c => c.Runs).Select(r => r.ResultNode).Distinct().ToList();
        if (nodes.Count == 0) return new ItemSet(new SortedDictionary<string, string[]>(StringComparer.Ordinal), 0);
        var shared = new HashSet<(string, string)>(Items(nodes[0]).Keys);
        foreach (string node in nodes.Skip(1)) shared.IntersectWith(Items(node).Keys);
        int leftOut = nodes.Sum(n => Items(n).Count - shared.Count);
        var byCategory = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var group in shared.GroupBy(k => k.Item1))
            byCategory[group.Key] = group.Select(k => k.Item2).OrderBy(i => i, StringComparer.Ordinal).ToArray();
        return new ItemSet(byCategory, leftOut);
    }

    /// <summary>A category's score (or the average over categories when <paramref name="category"/> is null).</summary>
    public Estimate Mean(Config config, ItemSet items, string? category) =>
        PrefLab.Statistics.Bootstrap.MeanOverSeeds(Matrix(config, items, category), Bootstrap, strata: Strata(items, category));

    /// <summary><paramref name="first"/> minus <paramref name="second"/>, paired by item.</summary>
    public Estimate Difference(Config first, Config second, ItemSet items, string? category) =>
        PrefLab.Statistics.Bootstrap.DifferenceOverSeeds(Matrix(first, items, category), Matrix(second, items, category), Bootstrap,
            strata: Strata(items, category));

    /// <summary>The average over categories of fixed per-item scores (a World reference responder's): one row, no seeds.</summary>
    public Estimate Mean(IReadOnlyDictionary<(string Category, string Item), double> scores, ItemSet items) =>
        PrefLab.Statistics.Bootstrap.MeanOverSeeds([Columns(items, null).Select(c => scores[c.Key] * c.Weight).ToArray()], Bootstrap,
            strata: Strata(items, null));

    /// <summary>For the average (no category): each column's category index, so the bootstrap resamples within categories.</summary>
    static int[]? Strata(ItemSet items, string? category) =>
        category is not null ? null : items.ByCategory.SelectMany((pair, index) => pair.Value.Select(_ => index)).ToArray();

    /// <summary>[seed][item] scores of a configuration on a category's items (or all items, reweighted, for the average).</summary>
    public IReadOnlyList<IReadOnlyList<double>> Matrix(Config config, ItemSet items, string? category)
    {
        var columns = Columns(items, category);
        return config.Runs.Select(run =>
        {
            var scores = Items(run.ResultNode);
            return (IReadOnlyList<double>)columns.Select(c => scores[c.Key] * c.Weight).ToArray();
        }).ToList();
    }

    /// <summary>The items of a category (weight 1), or all items weighted N / (C · n_category) for the average.</summary>
    static List<((string, string) Key, double Weight)> Columns(ItemSet items, string? category)
    {
        var columns = new List<((string, string) Key, double Weight)>();
        if (category is not null)
            columns.AddRange(items.ByCategory[category].Select(i => ((category, i), 1.0)));
        else
        {
            int total = items.Count, categories = items.ByCategory.Count;
            foreach (var (name, ids) in items.ByCategory)
                columns.AddRange(ids.Select(i => ((name, i), (double)total / (categories * ids.Length))));
        }
        return columns;
    }
}
