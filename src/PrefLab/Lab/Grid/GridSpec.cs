namespace PrefLab.Lab.Grid;

/// <summary>The four factors a grid varies, named as in grid files.</summary>
public static class Factors
{
    public const string Data = "data";
    public const string Algorithm = "algorithm";
    public const string RewardModel = "reward_model";
    public const string Prompts = "prompts";

    public static IReadOnlyList<string> All { get; } = [Data, Algorithm, RewardModel, Prompts];
}

/// <summary>A named preference dataset: a file (or <c>world:NAME</c>) and its reader options
/// (<c>binarize</c>, <c>format</c>, ...).</summary>
public sealed record DataLevel(string Name, int Position, int Line, Settings Settings);

/// <summary>A named algorithm: its type and its own options (loss, beta, n, ...).</summary>
public sealed record AlgorithmLevel(string Name, int Position, int Line, AlgorithmType Type, Settings Options);

/// <summary>
/// A named reward model. <see cref="Gold"/>: the World's gold scorer instead of a trained model. <see cref="Ensemble"/>:
/// other trained levels combined (their nodes are the members' own, trained once). Otherwise it is
/// trained on <see cref="DataName"/> (a data level), on <see cref="InlineData"/>, or, when both are null, on the
/// run's own dataset; from <see cref="Model"/> (an existing folder), or from the SFT model of
/// <see cref="Preset"/> (null: the policy's SFT model).
/// </summary>
public sealed record RewardModelLevel(string Name, int Position, int Line, bool Gold, string? DataName, Settings? InlineData,
    string? Preset, string? Model, Settings Options)
{
    /// <summary>Set when the level is an ensemble of other levels (then nothing else is).</summary>
    public RewardModelEnsemble? Ensemble { get; init; }
}

/// <summary>A named prompt set for online RL: a file (or <c>world:NAME</c>) and its options.</summary>
public sealed record PromptLevel(string Name, int Position, int Line, Settings Settings);

/// <summary>An <c>exclude</c> or <c>include</c> rule: for each factor it names, the levels it matches
/// (a run matches when every named factor's label is among them; <c>seed</c> may be named too).</summary>
public sealed record GridRule(int Line, IReadOnlyDictionary<string, IReadOnlySet<string>> Levels);

/// <summary>A parsed, validated grid file. File paths are absolute; <c>world:NAME</c> references stay as written.</summary>
public sealed record GridSpec
{
    public required string Path { get; init; }
    public required string Name { get; init; }
    public required string Text { get; init; }

    /// <summary>World settings: <c>folder</c> (an existing World) or the generator's settings (seed, scale);
    /// null when the grid uses no World.</summary>
    public Settings? World { get; init; }

    /// <summary>The base model: <c>model</c> (an existing folder) or the pretraining settings (preset, data, options, seed).</summary>
    public Settings? Pretrain { get; init; }

    /// <summary>The SFT model: <c>model</c> (an existing folder) or the SFT settings (data, options, seed).</summary>
    public required Settings Sft { get; init; }

    public required IReadOnlyList<DataLevel> Data { get; init; }
    public required IReadOnlyList<AlgorithmLevel> Algorithms { get; init; }
    public required IReadOnlyList<RewardModelLevel> RewardModels { get; init; }
    public required IReadOnlyList<PromptLevel> Prompts { get; init; }

    /// <summary>The reward-model level of that name (an ensemble's member).</summary>
    public RewardModelLevel RewardModel(string name) => RewardModels.First(r => r.Name == name);

    /// <summary>Options for every policy that trains (DPO, PPO, RLOO, GRPO); <see cref="FixedByType"/> for one algorithm type;
    /// <see cref="FixedRewardModel"/> for every trained reward model.</summary>
    public required Settings Fixed { get; init; }
    public required IReadOnlyDictionary<AlgorithmType, Settings> FixedByType { get; init; }
    public required Settings FixedRewardModel { get; init; }

    public required Settings Evaluation { get; init; }
    public Settings? RmEvaluation { get; init; }
    public required IReadOnlyList<long> Seeds { get; init; }
    public required IReadOnlyList<GridRule> Exclude { get; init; }
    public required IReadOnlyList<GridRule> Include { get; init; }
}
