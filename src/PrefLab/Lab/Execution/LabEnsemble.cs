using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Rewards;
using PrefLab.Runtime;

namespace PrefLab.Lab.Execution;

/// <summary>
/// A node's reward-model ensemble as the planner states it: the members are the node's <c>reward_model.I</c> inputs,
/// the rule its <c>ensemble</c> (mean, min, weights) and <c>ensemble-weights</c> (a list) settings — the names of the
/// commands' own options, so a policy node passes them on as a user would type them.
/// </summary>
public static class LabEnsemble
{
    /// <summary>The settings that state the rule; option tokens leave them out, <see cref="RewardTokens"/> writes them.</summary>
    public static readonly string[] SettingKeys = ["ensemble", "ensemble-weights"];

    /// <summary>The rule, or null when the node has one reward model (or the gold scorer).</summary>
    public static RewardEnsemble? Rule(NodeWork work)
    {
        int members = work.RewardModels.Count;
        string? combiner = work.Settings.GetString("ensemble");
        if (combiner is null && members < 2) return null;
        if (combiner is null || members < 2)
            throw new InvalidOperationException($"{work.Node}: an ensemble needs its rule and two or more members ({members} given)");
        return RewardEnsemble.Create(RewardEnsemble.ParseCombiner(combiner), Weights(work), members);
    }

    /// <summary><c>--reward-model</c> once per member, then <c>--ensemble</c> and, with weights, <c>--ensemble-weights W1,W2</c>.</summary>
    public static IReadOnlyList<string> RewardTokens(NodeWork work)
    {
        var tokens = new List<string>();
        foreach (string folder in work.RewardModels) tokens.AddRange(["--reward-model", folder]);
        if (work.Settings.GetString("ensemble") is { } combiner) tokens.AddRange(["--ensemble", combiner]);
        if (Weights(work) is { } weights)
            tokens.AddRange(["--ensemble-weights", string.Join(",", weights.Select(w => w.ToString("R", CultureInfo.InvariantCulture)))]);
        return tokens;
    }

    static double[]? Weights(NodeWork work) => work.Settings["ensemble-weights"] switch
    {
        null => null,
        JsonArray array => array.Select(w => w switch
        {
            // Settings keep whole numbers as integers (1 and 1.0 are one setting).
            JsonValue v when v.TryGetValue<long>(out var whole) => whole,
            JsonValue v when v.TryGetValue<double>(out var real) => real,
            _ => throw new UserError($"{work.Node}: ensemble-weights must be numbers"),
        }).ToArray(),
        var other => throw new UserError($"{work.Node}: ensemble-weights must be a list of numbers, not {other.ToJsonString()}"),
    };
}
