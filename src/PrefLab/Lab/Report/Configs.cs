using PrefLab.Lab.Grid;
using PrefLab.Lab.Store;

namespace PrefLab.Lab.Report;

/// <summary>A configuration: the runs (one per seed) that share every resolved setting but the seed.</summary>
public sealed class Config(string key, string algorithm, RunLabels labels, IReadOnlyList<RunRecord> runs)
{
    public string Key { get; } = key;
    /// <summary>The algorithm type (dpo, ppo, ..., best-of-n, sft).</summary>
    public string Algorithm { get; } = algorithm;
    public RunLabels Labels { get; } = labels;
    /// <summary>Runs ordered by seed.</summary>
    public IReadOnlyList<RunRecord> Runs { get; } = runs;
    public Settings Settings => Runs[0].Settings.Without("seed");
    public IReadOnlyList<long> Seeds => Runs.Select(r => r.Seed).ToList();
    public bool IsOnline => Algorithm is "ppo" or "rloo" or "grpo" or "online-dpo";
}

/// <summary>The completed runs of a lab grouped into configurations, with each factor's level order (for defaults
/// and row order).</summary>
public sealed class ConfigSet
{
    readonly Dictionary<string, IReadOnlyList<string>> levelOrder;
    readonly IReadOnlyDictionary<string, string> baselines;

    public ConfigSet(LabStore store, string? grid, IReadOnlyDictionary<string, string> baselines)
    {
        Runs = store.CompletedRuns(grid);
        All = Runs.GroupBy(r => r.ConfigKey)
            .Select(g => new Config(g.Key, g.First().Algorithm, g.First().Labels, g.OrderBy(r => r.Seed).ToList()))
            .ToList();
        levelOrder = Factors.All.ToDictionary(f => f, f => store.LevelOrder(f));
        this.baselines = baselines;
        foreach (var (factor, level) in baselines)
        {
            if (!levelOrder.TryGetValue(factor, out var levels))
                throw new Runtime.UserError($"baseline '{factor}={level}': not a factor (data, algorithm, reward_model, prompts)");
            if (!levels.Contains(level))
                throw new Runtime.UserError($"baseline '{factor}={level}': no such level in the store ({string.Join(", ", levels)})");
        }
    }

    public IReadOnlyList<RunRecord> Runs { get; }
    public IReadOnlyList<Config> All { get; }

    /// <summary>Rank of a level in its factor (baseline first, then file order); unknown or null levels rank last.</summary>
    public int Rank(string factor, string? level)
    {
        if (level is null) return int.MaxValue;
        if (baselines.TryGetValue(factor, out var baseline) && baseline == level) return -1;
        int index = levelOrder[factor].ToList().IndexOf(level);
        return index < 0 ? int.MaxValue - 1 : index;
    }

    /// <summary>The baseline among <paramref name="levels"/>: the one named in the options, else the first in level order.</summary>
    public string Baseline(string factor, IEnumerable<string> levels) => levels.OrderBy(l => Rank(factor, l)).First();

    public string? Requested(string factor) => baselines.GetValueOrDefault(factor);

    /// <summary>Of several configurations, the one whose levels of <paramref name="factors"/> come first (closest to the defaults).</summary>
    public Config Closest(IEnumerable<Config> candidates, params string[] factors) =>
        candidates.OrderBy(c => factors.Select(f => Rank(f, c.Labels.Get(f))).ToArray(), RankComparer.Instance).First();

    /// <summary>Orders configurations by the level order of <paramref name="factor"/>.</summary>
    public IEnumerable<Config> OrderBy(IEnumerable<Config> configs, string factor) =>
        configs.OrderBy(c => Rank(factor, c.Labels.Get(factor))).ThenBy(c => c.Key, StringComparer.Ordinal);

    /// <summary>The first algorithm level (in level order, or the requested one) among configurations of the given types.</summary>
    public string? AlgorithmLevel(params string[] types)
    {
        var levels = All.Where(c => types.Contains(c.Algorithm)).Select(c => c.Labels.Algorithm).Distinct().ToList();
        if (levels.Count == 0) return null;
        if (Requested(Factors.Algorithm) is { } requested && levels.Contains(requested)) return requested;
        return levels.OrderBy(l => Rank(Factors.Algorithm, l)).First();
    }

    sealed class RankComparer : IComparer<int[]>
    {
        public static readonly RankComparer Instance = new();
        public int Compare(int[]? x, int[]? y)
        {
            for (int i = 0; i < Math.Min(x!.Length, y!.Length); i++)
                if (x[i] != y[i]) return x[i].CompareTo(y[i]);
            return x.Length.CompareTo(y.Length);
        }
    }
}
