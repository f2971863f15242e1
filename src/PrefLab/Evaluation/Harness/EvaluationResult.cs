using System.Text.Json.Nodes;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Harness;

/// <summary>
/// One model's result on one item. <see cref="Category"/>, <see cref="ItemId"/> and <see cref="Score"/> are what the
/// experiment lab stores (its <c>ItemScore</c>); the rest is the per-item output: the prompt as sent (before chat
/// rendering), the response (for multiple choice, the picked option), the suite's per-item metrics and its extra
/// fields.
/// </summary>
public sealed record ItemResult(string Suite, string Category, string ItemId, string Prompt, string? Response, double Score,
    IReadOnlyDictionary<string, double> Metrics, JsonObject Fields);

/// <summary>How a model's generations were obtained: asked for, found in the cache, generated now.</summary>
public sealed record GenerationCounts(int Requested, int FromCache, int Generated);

/// <summary>One model's items, in the order of the suites' cases.</summary>
public sealed record ModelEvaluation(string Label, string Path, string Fingerprint, IReadOnlyList<ItemResult> Items, GenerationCounts Generation)
{
    /// <summary>The (category, item id, score) triples: what the lab's evaluation node returns as its item scores.</summary>
    public IReadOnlyList<(string Category, string ItemId, double Score)> Scores() => Items.Select(i => (i.Category, i.ItemId, i.Score)).ToList();
}

/// <summary>A named statistic with its interval; <see cref="HasInterval"/> is false for point-only statistics (the
/// interval ends then equal the point). <see cref="Brief"/> ones are printed on the terminal; all go to the files.</summary>
public sealed record MetricEstimate(string Name, string Description, Estimate Value, bool HasInterval = true, bool Brief = true);

/// <summary>
/// A category's (or the average's) scores: per model the mean item score with its 95% bootstrap interval, per model
/// after the first its difference from the first with a paired-bootstrap interval (null for the first), and per
/// model the suite's secondary metrics.
/// </summary>
public sealed record CategoryScores(string Category, string Suite, int Items, IReadOnlyList<Estimate> ByModel,
    IReadOnlyList<Estimate?> DeltaFromFirst, IReadOnlyList<IReadOnlyList<MetricEstimate>> MetricsByModel);

/// <summary>
/// The summary table: each category, then the average. The average is the mean of the category means (every
/// category counts once whatever its size); its interval and deltas come from the same item bootstrap with each
/// item weighted by N / (C · n_category), as the lab's report computes it.
/// </summary>
public sealed record ScoreSummary(IReadOnlyList<CategoryScores> Categories, CategoryScores Average);

/// <summary>A suite as run: its kind, source, what a score means, and its notes.</summary>
public sealed record SuiteRun(string Name, string Source, string Headline, IReadOnlyList<string> Categories, IReadOnlyList<string> Notes);

/// <summary>What <see cref="Evaluator.Run"/> produced: every model's items and the summary with intervals and deltas.</summary>
public sealed record EvaluationResult(EvaluationOptions Options, IReadOnlyList<SuiteRun> Suites, IReadOnlyList<ModelEvaluation> Models,
    ScoreSummary Summary)
{
    public IReadOnlyList<string> Categories => Summary.Categories.Select(c => c.Category).ToList();
}
