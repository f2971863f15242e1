using PrefLab.Lab.Grid;

namespace PrefLab.Lab.Store;

public static class NodeStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
}

/// <summary>A node's row: status, how many attempts, the last error.</summary>
/// <param name="Settings">The node's resolved settings, canonical JSON.</param>
/// <param name="ModelFlops">The model FLOPs its finishing attempt did (<see cref="Models.ModelFlops"/>); null when not
/// counted (adopted results, stores older than schema 2).</param>
public sealed record NodeState(string Id, string Kind, string Label, string Status, int Attempts, string? Error, double? Seconds,
    string Settings = "{}", double? ModelFlops = null)
{
    /// <summary>The precision of the node's matrix products: its <c>precision</c> setting (a training command's
    /// <c>--precision</c>; auto as this machine resolves it), fp32 when it has none.</summary>
    public Models.Layers.LinearPrecision Precision => PrecisionOf(
        (System.Text.Json.Nodes.JsonNode.Parse(Settings) as System.Text.Json.Nodes.JsonObject)?["precision"] is System.Text.Json.Nodes.JsonValue v
        && v.TryGetValue<string>(out var s) ? s : null);

    /// <summary>A <c>precision</c> setting's value as the training commands read it; fp32 when absent or unreadable.</summary>
    public static Models.Layers.LinearPrecision PrecisionOf(string? setting)
    {
        if (setting is null) return Models.Layers.LinearPrecision.Fp32;
        try { return Models.Layers.ComputePrecision.ParsePrecision(setting, Runtime.MachineInfo.Read().HasAvx512Bf16); }
        catch (Runtime.UserError) { return Models.Layers.LinearPrecision.Fp32; }
    }
}

/// <summary>A grid registered in the store.</summary>
public sealed record GridRecord(long Id, string Name, string Path, string Sha256, string RegisteredAt);

/// <summary>
/// A run whose result is in the store: its labels (from the earliest grid that has it), algorithm type, seed,
/// configuration key, node ids and resolved settings.
/// </summary>
public sealed record RunRecord(
    string Id,
    string ConfigKey,
    string Algorithm,
    long Seed,
    RunLabels Labels,
    string ResultNode,
    string? PolicyNode,
    string? RewardModelNode,
    string? RmEvaluationNode,
    Settings Settings,
    long GridId);

/// <summary>A point of a training curve.</summary>
public readonly record struct MetricPoint(long Step, string Name, double Value);

/// <summary>A category's mean over an evaluation's items.</summary>
public sealed record CategorySummary(string Category, int Items, double Mean);

/// <summary>A reward-model evaluation subset's accuracy and gold agreement (null where there is no gold).</summary>
public sealed record SubsetSummary(string Subset, int Items, double Accuracy, double? GoldAgreement);

/// <summary>Best-of-N: a run's per-category mean for its n.</summary>
public sealed record BestOfNRow(string Run, string? RewardModelNode, int N, long Seed, string Category, double Score, int Items);
