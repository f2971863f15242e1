using System.Text.Json.Nodes;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Reporting;
using PrefLab.Evaluation.Suites;
using PrefLab.Statistics;
using Xunit;

namespace PrefLab.Tests.Evaluation;

/// <summary>
/// The summary from item scores alone: category means and intervals, the average as the mean of category means, and
/// deltas from the first model with paired intervals; then the printed table.
/// </summary>
public class ScoreSummaryTests
{
    sealed class FixedSuite(params (string Category, string Id)[] items) : EvaluationSuite
    {
        public override string Name => "fixed";
        public override string Source => "memory";
        public override string Headline => "fixed scores";
        public override IReadOnlyList<EvalCase> Cases { get; } =
            items.Select(i => new EvalCase(i.Category, i.Id, new GenerationRequest("p", 1, []))).ToList();
        public override IReadOnlyList<ItemOutcome> Score(IReadOnlyList<CaseResponse> responses) => throw new NotSupportedException();
    }

    static ModelEvaluation Model(string label, FixedSuite suite, params double[] scores) =>
        new(label, "/" + label, new string('0', 64),
            suite.Cases.Select((c, i) => new ItemResult("fixed", c.Category, c.ItemId, "p", "r", scores[i], new Dictionary<string, double>(), new JsonObject())).ToList(),
            new GenerationCounts(0, 0, 0));

    [Fact]
    public void The_average_is_the_mean_of_category_means_and_deltas_are_paired()
    {
        // Two categories of unequal size: a (4 items), b (2 items).
        var suite = new FixedSuite(("a", "1"), ("a", "2"), ("a", "3"), ("a", "4"), ("b", "1"), ("b", "2"));
        var first = Model("first", suite, 1, 0, 1, 1, 0, 0);
        var second = Model("second", suite, 1, 1, 1, 1, 1, 0);
        var bootstrap = new BootstrapOptions { Resamples = 500, Seed = 3 };

        var summary = ScoreSummaries.Build([suite], [first, second], bootstrap);

        Assert.Equal(["a", "b"], summary.Categories.Select(c => c.Category));
        Assert.Equal(0.75, summary.Categories[0].ByModel[0].Mean, 12);
        Assert.Equal(0.0, summary.Categories[1].ByModel[0].Mean, 12);
        // Mean of category means, not of items: (0.75 + 0) / 2 for the first, (1 + 0.5) / 2 for the second.
        Assert.Equal(0.375, summary.Average.ByModel[0].Mean, 12);
        Assert.Equal(0.75, summary.Average.ByModel[1].Mean, 12);
        Assert.Null(summary.Categories[0].DeltaFromFirst[0]);
        Assert.Equal(0.25, summary.Categories[0].DeltaFromFirst[1]!.Value.Mean, 12);
        Assert.Equal(0.375, summary.Average.DeltaFromFirst[1]!.Value.Mean, 12);
        // The intervals are the bootstrap of the items: paired for deltas.
        Assert.Equal(Bootstrap.Mean([1, 0, 1, 1], bootstrap), summary.Categories[0].ByModel[0]);
        Assert.Equal(Bootstrap.PairedDifference([1, 1, 1, 1], [1, 0, 1, 1], bootstrap), summary.Categories[0].DeltaFromFirst[1]);
        // The average's items are weighted N / (C n_c): 6 / (2 * 4) = 0.75 in a, 6 / (2 * 2) = 1.5 in b, and resampled
        // within each category (stratified).
        int[] strata = [0, 0, 0, 0, 1, 1];
        Assert.Equal(Bootstrap.PairedDifference([0.75, 0.75, 0.75, 0.75, 1.5, 0], [0.75, 0, 0.75, 0.75, 0, 0], bootstrap, strata),
            summary.Average.DeltaFromFirst[1]);
        Assert.Equal(Bootstrap.Mean([0.75, 0, 0.75, 0.75, 0, 0], bootstrap, strata), summary.Average.ByModel[0]);
        Assert.NotEqual(Bootstrap.Mean([0.75, 0, 0.75, 0.75, 0, 0], bootstrap), summary.Average.ByModel[0]);
    }

    [Fact]
    public void Paired_intervals_are_narrower_than_unpaired_when_items_differ_in_difficulty()
    {
        // Item difficulty dominates (scores spread 0..1 across items); the second model adds a small, steady 0.05.
        var ids = Enumerable.Range(0, 60).Select(i => ("c", i.ToString())).ToArray();
        var suite = new FixedSuite(ids);
        var baseScores = Enumerable.Range(0, 60).Select(i => (i % 20) / 20.0).ToArray();
        var better = baseScores.Select((s, i) => s + (i % 2 == 0 ? 0.1 : 0.0)).ToArray();
        var summary = ScoreSummaries.Build([suite], [Model("base", suite, baseScores), Model("better", suite, better)], BootstrapOptions.Default);

        var paired = summary.Categories[0].DeltaFromFirst[1]!.Value;
        var unpaired = Bootstrap.UnpairedDifference(better, baseScores);
        Assert.Equal(0.05, paired.Mean, 12);
        Assert.True(paired.Lower > 0, $"paired interval {paired} should exclude 0");
        Assert.True(unpaired.Lower < 0, $"unpaired interval {unpaired} should include 0");
        Assert.True(paired.Width < unpaired.Width / 4);
    }

    [Fact]
    public void The_table_has_a_row_per_category_the_average_and_a_delta_column()
    {
        var suite = new FixedSuite(("a", "1"), ("a", "2"), ("b", "1"));
        var first = Model("sft", suite, 1, 0, 0.5);
        var second = Model("dpo", suite, 1, 1, 0.25);
        var summary = ScoreSummaries.Build([suite], [first, second], BootstrapOptions.Default);
        var result = new EvaluationResult(new EvaluationOptions(), [new SuiteRun("fixed", "memory", "fixed scores", ["a", "b"], [])], [first, second], summary);

        var lines = ResultsTable.Scores(result).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^category\s+n\s+sft\s+dpo\s+dpo - sft$", lines[0]);
        Assert.Matches(@"^a\s+2\s+0\.500 \[\S+, \S+\]\s+1\.000 \[1\.000, 1\.000\]\s+\+0\.500 \[", lines[1]);
        Assert.Matches(@"^b\s+1\s+0\.500 \[0\.500, 0\.500\]\s+0\.250 \[0\.250, 0\.250\]\s+-0\.250 \[-0\.250, -0\.250\]$", lines[2]);
        Assert.Matches(@"^average\s+3\s+0\.500 ", lines[3]);
        var markdown = ResultsTable.Scores(result, markdown: true).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("| category | n | sft | dpo | dpo - sft |", markdown[0]);
        Assert.Equal("|---|---:|---:|---:|---:|", markdown[1]);
    }
}
