using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Lab.Grid;

/// <summary>A run's level of each factor; null where the factor does not apply to its algorithm. For online RL
/// and best-of-N, <see cref="Data"/> is the reward model's training data.</summary>
public sealed record RunLabels(string? Data, string Algorithm, string? RewardModel, string? Prompts)
{
    public string? Get(string factor) => factor switch
    {
        Factors.Data => Data,
        Factors.Algorithm => Algorithm,
        Factors.RewardModel => RewardModel,
        Factors.Prompts => Prompts,
        _ => throw new ArgumentOutOfRangeException(nameof(factor), factor, "not a grid factor"),
    };

    public override string ToString() =>
        string.Join(" ", new[] { ("data", Data), ("algorithm", (string?)Algorithm), ("reward_model", RewardModel), ("prompts", Prompts) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={p.Item2}"));
}

/// <summary>One run of a grid: its labels, seed, and fully resolved settings (a flat canonical dictionary with keys
/// <c>algorithm</c>, <c>algorithm.*</c>, <c>data.*</c>, <c>reward_model.*</c>, <c>prompts.*</c>, <c>evaluation.*</c>,
/// <c>rm_evaluation.*</c>, <c>sft.*</c>, <c>pretrain.*</c>, <c>world.*</c> and <c>seed</c>; for a reward-model ensemble,
/// <c>reward_model.source</c> is <c>ensemble</c>, with <c>reward_model.combine</c>, <c>reward_model.weights</c>, and each
/// member's <c>reward_model.*</c> and <c>data.*</c> under <c>ensemble.I.</c>).</summary>
public sealed record GridRun(int Index, RunLabels Labels, AlgorithmType Type, long Seed, Settings Resolved);

/// <summary>
/// Expands a grid to runs: the product of its factors' levels and seeds (seeds outermost, so a first pass over
/// every configuration finishes before the second seed starts), with each algorithm keeping only the factors it
/// uses, minus the runs an <c>exclude</c> rule matches unless an <c>include</c> rule matches them too.
/// Rules match the run's effective labels (after dropping unused factors).
/// </summary>
public static class GridExpansion
{
    public static IReadOnlyList<GridRun> Expand(GridSpec grid)
    {
        var runs = new List<GridRun>();
        var seen = new HashSet<(RunLabels, long)>();
        var bySettings = new Dictionary<string, GridRun>(StringComparer.Ordinal);
        static IEnumerable<T?> OrNone<T>(IReadOnlyList<T> levels) where T : class => levels.Count == 0 ? new T?[] { null } : levels.Cast<T?>();

        foreach (long seed in grid.Seeds)
        foreach (var data in OrNone(grid.Data))
        foreach (var algorithm in grid.Algorithms)
        foreach (var rewardModel in OrNone(grid.RewardModels))
        foreach (var prompts in OrNone(grid.Prompts))
        {
            var type = algorithm.Type;
            var rm = type.UsesRewardModel() ? rewardModel : null;
            var labels = new RunLabels(
                Data: DataLabel(grid, type, data, rm),
                Algorithm: algorithm.Name,
                RewardModel: rm?.Name,
                Prompts: type.UsesPrompts() ? prompts?.Name : null);
            if (!seen.Add((labels, seed))) continue;
            if (grid.Exclude.Any(rule => Matches(rule, labels, seed)) && !grid.Include.Any(rule => Matches(rule, labels, seed))) continue;
            var resolved = Resolve(grid, algorithm, data, rm, type.UsesPrompts() ? prompts : null, seed);
            var run = new GridRun(runs.Count, labels, type, seed, resolved);
            string key = resolved.ToCanonicalJson();
            if (bySettings.TryGetValue(key, out var twin))
                throw new UserError($"{grid.Path}: runs ({twin.Labels}, seed {seed}) and ({labels}, seed {seed}) resolve to the same settings: " +
                    "two levels of a factor describe the same thing; remove one");
            bySettings[key] = run;
            runs.Add(run);
        }
        if (runs.Count == 0) throw new UserError($"{grid.Path}: the grid expands to no run (every run is excluded)");
        return runs;
    }

    /// <summary>The run's data label. For a reward model it is the model's training data; for an ensemble, its members'
    /// distinct labels joined by '+' ("hh+uf"), or the one they share.</summary>
    static string? DataLabel(GridSpec grid, AlgorithmType type, DataLevel? data, RewardModelLevel? rm)
    {
        if (type.UsesPreferenceData()) return data?.Name;
        if (rm?.Ensemble is { } ensemble)
        {
            var labels = ensemble.Members.Select(m => DataLabel(grid, type, data, grid.RewardModel(m))).OfType<string>().Distinct().ToList();
            return labels.Count == 0 ? null : string.Join("+", labels);
        }
        if (rm is null || rm.Gold) return null;
        if (rm.DataName is not null) return rm.DataName;
        if (rm.InlineData is not null) return rm.Name + ":data";
        return data?.Name;
    }

    static bool Matches(GridRule rule, RunLabels labels, long seed)
    {
        foreach (var (factor, levels) in rule.Levels)
        {
            string? label = factor == "seed" ? seed.ToString(CultureInfo.InvariantCulture) : labels.Get(factor);
            if (label is null || !levels.Contains(label)) return false;
        }
        return true;
    }

    /// <summary>The run's resolved settings: what it is, every upstream step it depends on, and the seed.
    /// <paramref name="data"/> is the product's data level, used by DPO, and by a reward model trained on the run's dataset.</summary>
    static Settings Resolve(GridSpec grid, AlgorithmLevel algorithm, DataLevel? data, RewardModelLevel? rm, PromptLevel? prompts, long seed)
    {
        var type = algorithm.Type;
        var settings = Settings.Empty.With("algorithm", type.Name()).With("seed", seed);
        if (type != AlgorithmType.Sft)
        {
            // Top-level fixed options are trainer options: they reach the algorithms that train, not best-of-N.
            var options = (type.TrainsPolicy() ? grid.Fixed : Settings.Empty)
                .Merge(grid.FixedByType.TryGetValue(type, out var byType) ? byType : Settings.Empty)
                .Merge(algorithm.Options);
            settings = settings.Merge(options.Prefixed("algorithm"));
        }
        if (type.UsesPreferenceData()) settings = settings.Merge(data!.Settings.Prefixed("data"));
        bool rmUsesPreset = false;
        if (rm is not null)
        {
            if (rm.Gold) settings = settings.With("reward_model.source", "gold");
            else if (rm.Ensemble is { } ensemble)
            {
                // Each member as its own run of that level would resolve it, under ensemble.<i>: the planner turns each into
                // the member's reward-model node (the same node, by content, as the member's own runs use).
                settings = settings.With("reward_model.source", "ensemble").With("reward_model.combine", ensemble.Combine);
                if (ensemble.Weights is { } weights)
                    settings = settings.With("reward_model.weights", new JsonArray(weights.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()));
                for (int i = 0; i < ensemble.Members.Count; i++)
                {
                    var member = grid.RewardModel(ensemble.Members[i]);
                    settings = settings.Merge(TrainedRewardModel(grid, member, data).Prefixed(EnsembleMemberPrefix(i)));
                    rmUsesPreset |= member.Preset is not null;
                }
                if (grid.RmEvaluation is not null) settings = settings.Merge(grid.RmEvaluation.Prefixed("rm_evaluation"));
            }
            else
            {
                settings = settings.Merge(TrainedRewardModel(grid, rm, data));
                if (grid.RmEvaluation is not null) settings = settings.Merge(grid.RmEvaluation.Prefixed("rm_evaluation"));
                rmUsesPreset = rm.Preset is not null;
            }
        }
        if (prompts is not null) settings = settings.Merge(prompts.Settings.Prefixed("prompts"));
        settings = settings.Merge(grid.Evaluation.Prefixed("evaluation")).Merge(grid.Sft.Prefixed("sft"));
        if (grid.Pretrain is not null && (grid.Sft.Contains("data") || rmUsesPreset)) settings = settings.Merge(grid.Pretrain.Prefixed("pretrain"));
        if (grid.World is not null) settings = settings.Merge(grid.World.Prefixed("world"));
        return settings;
    }

    /// <summary>A trained reward model's part of a run's settings: <c>reward_model.*</c> (source, options, preset or
    /// model) and <c>data.*</c>, its training data (its own, or <paramref name="data"/>, the run's dataset).</summary>
    static Settings TrainedRewardModel(GridSpec grid, RewardModelLevel rm, DataLevel? data)
    {
        var dataSettings = rm.InlineData ?? (rm.DataName is not null ? grid.Data.First(d => d.Name == rm.DataName).Settings : data!.Settings);
        var settings = Settings.Empty.With("reward_model.source", "trained")
            .Merge(grid.FixedRewardModel.Merge(rm.Options).Prefixed("reward_model"));
        if (rm.Preset is not null) settings = settings.With("reward_model.preset", rm.Preset);
        if (rm.Model is not null) settings = settings.With("reward_model.model", rm.Model);
        return settings.Merge(dataSettings.Prefixed("data"));
    }

    /// <summary>Where member <paramref name="index"/> of an ensemble run's reward model sits in its resolved settings.</summary>
    public static string EnsembleMemberPrefix(int index) => "ensemble." + index.ToString(CultureInfo.InvariantCulture);
}
