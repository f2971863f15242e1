using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Reporting;
using PrefLab.Lab.Plan;

namespace PrefLab.Lab.Execution;

/// <summary>
/// The library executor of <see cref="NodeKind.Evaluation"/> nodes: the node's settings (suite, limit, max-new-tokens,
/// batch-size, seed) become <see cref="EvaluationOptions"/> for its one model, <see cref="Evaluator.Run"/> scores it,
/// results.json and the other results files go to the node's folder, and the per-item scores are the node's result.
/// </summary>
public static class EvaluationNode
{
    public static readonly string[] SettingKeys = ["suite", "limit", "max-new-tokens", "batch-size", "seed"];

    public static IReadOnlyList<ItemScore> Run(NodeWork work)
    {
        work.RejectUnknownSettings(SettingKeys);
        return Evaluate(work, Options(work, cache: true));
    }

    /// <summary>The harness's options for the node's model; generations are cached in the node's folder when
    /// <paramref name="cache"/> (a best-of-N node's picks depend on its judge, which the cache key does not hold).</summary>
    public static EvaluationOptions Options(NodeWork work, bool cache)
    {
        var s = work.Settings;
        string suite = s.GetString("suite") ?? "world";
        var options = new EvaluationOptions
        {
            Models = [work.Input(InputRoles.Model)],
            Labels = [work.Node.Label],
            Suites = [suite == "world" ? "world" : work.File("suite")],
            World = work.WorldFolder,
            Limit = s.GetLong("limit") is long limit ? (int)limit : null,
            MaxNewTokens = s.GetLong("max-new-tokens") is long tokens ? (int)tokens : null,
            Seed = work.Seed,
            CacheDirectory = cache ? Path.Combine(work.OutputFolder, "cache") : null,
            ShowProgress = false,
        };
        return s.GetLong("batch-size") is long batch ? options with { BatchSize = (int)batch } : options;
    }

    /// <summary>Runs the harness, writes its files into the node's folder, and returns the one model's item scores.</summary>
    public static IReadOnlyList<ItemScore> Evaluate(NodeWork work, EvaluationOptions options)
    {
        work.Status("evaluating");
        var result = Evaluator.Run(options);
        ResultsFiles.Write(result, work.OutputFolder);
        return result.Models[0].Scores().Select(i => new ItemScore(i.Category, i.ItemId, i.Score)).ToList();
    }
}
