using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Suites;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Reporting;

/// <summary>
/// The summary of a run from its items. A category's score is the mean item score with a percentile-bootstrap
/// interval over items (<see cref="Bootstrap.Mean"/>); a model's delta is its mean minus the first model's on the same
/// items, with the paired bootstrap (<see cref="Bootstrap.PairedDifference"/>: one item draw serves both, so item
/// difficulty cancels). The average is the mean of the category means: every item is weighted by N / (C · n_c)
/// (N items, C categories, n_c in its category) and the same two bootstraps run on the weighted scores, resampling
/// within each category (stratified: every replicate keeps each category's n_c), as the lab's report does.
/// </summary>
public static class ScoreSummaries
{
    public const string AverageName = "average";

    public static ScoreSummary Build(IReadOnlyList<EvaluationSuite> suites, IReadOnlyList<ModelEvaluation> models, BootstrapOptions bootstrap)
    {
        if (models.Count == 0) throw new ArgumentException("no models", nameof(models));
        var categories = new List<CategoryScores>();
        var columns = new List<(string Category, IReadOnlyList<ItemResult>[] ByModel)>();
        foreach (var suite in suites)
            foreach (string category in suite.Categories)
            {
                var byModel = models.Select(m => (IReadOnlyList<ItemResult>)m.Items.Where(i => i.Category == category).ToList()).ToArray();
                RequireSameItems(category, models, byModel);
                columns.Add((category, byModel));
                categories.Add(Scores(category, suite.Name, byModel.Select(items => items.Select(i => i.Score).ToList()).ToList(), bootstrap,
                    byModel.Select(items => suite.Summarize(category, items, bootstrap)).ToList()));
            }
        if (categories.Count == 0) throw new InvalidOperationException("the suites hold no items");

        int total = columns.Sum(c => c.ByModel[0].Count);
        var weighted = models.Select((_, m) => (IReadOnlyList<double>)columns
            .SelectMany(c => c.ByModel[m].Select(i => i.Score * total / ((double)columns.Count * c.ByModel[m].Count)))
            .ToList()).ToList();
        var strata = columns.SelectMany((c, index) => c.ByModel[0].Select(_ => index)).ToArray();
        var average = Scores(AverageName, string.Join("+", suites.Select(s => s.Name).Distinct()), weighted, bootstrap,
            models.Select(_ => (IReadOnlyList<MetricEstimate>)[]).ToList(), strata);
        return new ScoreSummary(categories, average);
    }

    static CategoryScores Scores(string category, string suite, IReadOnlyList<IReadOnlyList<double>> scoresByModel, BootstrapOptions bootstrap,
        IReadOnlyList<IReadOnlyList<MetricEstimate>> metrics, IReadOnlyList<int>? strata = null)
    {
        var means = scoresByModel.Select(scores => Bootstrap.Mean(scores, bootstrap, strata)).ToList();
        var deltas = scoresByModel.Select((scores, m) => m == 0 ? (Estimate?)null : Bootstrap.PairedDifference(scores, scoresByModel[0], bootstrap, strata)).ToList();
        return new CategoryScores(category, suite, scoresByModel[0].Count, means, deltas, metrics);
    }

    static void RequireSameItems(string category, IReadOnlyList<ModelEvaluation> models, IReadOnlyList<ItemResult>[] byModel)
    {
        for (int m = 1; m < models.Count; m++)
            if (!byModel[m].Select(i => i.ItemId).SequenceEqual(byModel[0].Select(i => i.ItemId), StringComparer.Ordinal))
                throw new InvalidOperationException($"{models[m].Label} and {models[0].Label} were scored on different items of {category}");
    }
}
