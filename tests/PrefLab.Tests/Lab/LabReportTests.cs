using System.Globalization;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Report;
using PrefLab.Lab.Store;
using PrefLab.Statistics;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>The study grid run once with the fake executor, shared by the report tests.</summary>
public sealed class StudyLabFixture : IDisposable
{
    readonly TempDir dir = new();

    public StudyLabFixture()
    {
        LabRunner.Run(LabGrids.Write(dir, LabGrids.Study), Lab, new FakeExecutor(), LabGrids.Quiet());
        Report = LabReport.Write(Lab, LabGrids.FastReport(plots: true));
    }

    public string Lab => dir.File("lab");
    public LabReportResult Report { get; }

    public void Dispose() => dir.Dispose();
}

public class LabReportTests(StudyLabFixture study) : IClassFixture<StudyLabFixture>
{
    static readonly BootstrapOptions Options = LabGrids.FastReport().Bootstrap;

    /// <summary>The Markdown table that follows <paramref name="heading"/> (and its first table only): header and rows of cells.</summary>
    static (string[] Header, List<string[]> Rows) TableAfter(string markdown, string heading, int skipTables = 0)
    {
        var lines = markdown.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        Assert.True(start >= 0, $"the report has a section '{heading}'");
        int index = start;
        for (int t = 0; t <= skipTables; t++)
        {
            while (!lines[index].StartsWith('|')) index++;
            if (t < skipTables) while (lines[index].StartsWith('|')) index++;
        }
        static string[] Cells(string line) => line.Trim().Trim('|').Split(" | ").Select(c => c.Trim()).ToArray();
        var header = Cells(lines[index]);
        var rows = new List<string[]>();
        for (int i = index + 2; i < lines.Length && lines[i].StartsWith('|'); i++) rows.Add(Cells(lines[i]));
        return (header, rows);
    }

    /// <summary>[seed][item] scores of DPO runs on a dataset in a category, straight from SQL.</summary>
    static List<IReadOnlyList<double>> DirectScores(LabStore store, string data, string category)
    {
        var rows = store.Select("""
            SELECT r.seed, e.item, e.score FROM runs r
            JOIN grid_runs g ON g.run = r.id
            JOIN eval_items e ON e.node = r.result_node
            WHERE g.algorithm = 'dpo' AND g.data = $d AND e.category = $c
            ORDER BY r.seed, e.item
            """, ("$d", data), ("$c", category));
        return rows.GroupBy(r => (long)r[0]!).OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<double>)g.Select(r => (double)r[2]!).ToList()).ToList();
    }

    [Fact]
    public void Dataset_table_numbers_equal_a_direct_query_of_the_store()
    {
        var (header, rows) = TableAfter(study.Report.Markdown, "## 1. Preference data");
        Assert.Equal(["dataset", .. FakeExecutor.Categories, "average", "Δ average vs baseline", "effect"], header);
        Assert.Equal(["noisy (baseline)", "good"], rows.Select(r => r[0]));
        using var store = LabStore.Open(Path.Combine(study.Lab, LabStore.FileName), readOnly: true);
        foreach (var row in rows)
        {
            string data = row[0].Replace(" (baseline)", "");
            var byCategory = new List<List<IReadOnlyList<double>>>();
            for (int c = 0; c < FakeExecutor.Categories.Length; c++)
            {
                var scores = DirectScores(store, data, FakeExecutor.Categories[c]);
                byCategory.Add(scores);
                Assert.Equal(3, scores.Count);
                Assert.Equal(ReportFormat.Score(Bootstrap.MeanOverSeeds(scores, Options)), row[1 + c]);
                // The point estimate is the plain mean of per-seed means, as SQL computes it.
                double sqlMean = store.Select("""
                    SELECT AVG(m) FROM (SELECT AVG(e.score) AS m FROM runs r JOIN grid_runs g ON g.run = r.id JOIN eval_items e ON e.node = r.result_node
                                        WHERE g.algorithm = 'dpo' AND g.data = $d AND e.category = $c GROUP BY r.id)
                    """, ("$d", data), ("$c", FakeExecutor.Categories[c]))[0][0] is double m ? m : double.NaN;
                Assert.Equal(sqlMean.ToString("F3", CultureInfo.InvariantCulture), row[1 + c][..row[1 + c].IndexOf(' ')]);
            }
            // The average: each category counts once (equal item counts here, so plain concatenation), resampled within categories.
            var all = Enumerable.Range(0, 3).Select(s => (IReadOnlyList<double>)byCategory.SelectMany(c => c[s]).ToList()).ToList();
            var strata = byCategory.SelectMany((c, index) => c[0].Select(_ => index)).ToArray();
            Assert.Equal(ReportFormat.Score(Bootstrap.MeanOverSeeds(all, Options, strata: strata)), row[1 + FakeExecutor.Categories.Length]);
        }
        var noisy = Enumerable.Range(0, 3).Select(s => (IReadOnlyList<double>)FakeExecutor.Categories.SelectMany(c => DirectScores(store, "noisy", c)[s]).ToList()).ToList();
        var good = Enumerable.Range(0, 3).Select(s => (IReadOnlyList<double>)FakeExecutor.Categories.SelectMany(c => DirectScores(store, "good", c)[s]).ToList()).ToList();
        var itemStrata = FakeExecutor.Categories.SelectMany((c, index) => DirectScores(store, "good", c)[0].Select(_ => index)).ToArray();
        Assert.Equal(ReportFormat.Delta(Bootstrap.DifferenceOverSeeds(good, noisy, Options, strata: itemStrata)), rows[1][^2]);

        // The per-category differences that follow the table: good − noisy, paired by item.
        var (deltaHeader, deltas) = TableAfter(study.Report.Markdown, "## 1. Preference data", skipTables: 1);
        Assert.Equal(["Δ vs noisy", .. FakeExecutor.Categories, "average"], deltaHeader);
        for (int c = 0; c < FakeExecutor.Categories.Length; c++)
            Assert.Equal(ReportFormat.Delta(Bootstrap.DifferenceOverSeeds(DirectScores(store, "good", FakeExecutor.Categories[c]),
                DirectScores(store, "noisy", FakeExecutor.Categories[c]), Options)), deltas.Single()[1 + c]);
        Assert.Equal(rows[1][^2], deltas.Single()[^1]);
    }

    [Fact]
    public void A_real_effect_has_an_interval_excluding_zero_and_a_null_factor_one_spanning_zero()
    {
        // Data: "good" adds 0.25 to every category in the fake executor.
        var (_, datasets) = TableAfter(study.Report.Markdown, "## 1. Preference data");
        Assert.Equal("higher", datasets[1][^1]);
        var delta = ParseDelta(datasets[1][^2]);
        Assert.True(delta.Lower > 0, datasets[1][^2]);
        Assert.InRange(delta.Mean, 0.15, 0.35);

        // Prompts: no effect in the fake executor.
        var (_, prompts) = TableAfter(study.Report.Markdown, "## 4. Prompts for PPO");
        Assert.Equal(["mixed (baseline)", "reasoning"], prompts.Select(r => r[0]));
        Assert.Equal(ReportFormat.NoEffect, prompts[1][^1]);
        var none = ParseDelta(prompts[1][^2]);
        Assert.True(none.Lower <= 0 && none.Upper >= 0, prompts[1][^2]);
        Assert.Contains("reasoning vs mixed: " + prompts[1][^2] + " on average — no detectable effect (the interval spans 0); detectable in ", study.Report.Markdown);

        // PPO vs DPO: PPO adds 0.10 on reasoning only, so the reasoning column moves and helpfulness does not.
        var (header, deltas) = TableAfter(study.Report.Markdown, "## 2. PPO vs DPO", skipTables: 1);
        Assert.Equal(["dataset", .. FakeExecutor.Categories, "average", "effect"], header);
        var good = deltas.Single(r => r[0] == "good");
        Assert.True(ParseDelta(good[Array.IndexOf(header, "reasoning")]).Mean > 0.03);
        Assert.True(ParseDelta(good[Array.IndexOf(header, "helpfulness")]).Contains(0));
    }

    static Estimate ParseDelta(string text)
    {
        var parts = text.Replace("[", "").Replace("]", "").Replace(",", "").Split(' ');
        return new Estimate(double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture),
            double.Parse(parts[2], CultureInfo.InvariantCulture), 0);
    }

    [Fact]
    public void Reward_model_section_reports_accuracy_best_of_n_and_ppo_per_reward_model()
    {
        string markdown = study.Report.Markdown;
        var (header, accuracy) = TableAfter(markdown, "### Accuracy on held-out preference pairs");
        Assert.Equal(["reward model", "accuracy", "accuracy: chat", "accuracy: reasoning", "agreement with gold", "pairs"], header);
        Assert.Equal(["rm-small on noisy", "rm-large on good", "rm-small on good"], accuracy.Select(r => r[0]));
        using var store = LabStore.Open(Path.Combine(study.Lab, LabStore.FileName), readOnly: true);
        var large = store.CompletedRuns().First(r => r.Labels.RewardModel == "rm-large").RmEvaluationNode!;
        var correct = store.Select("SELECT correct FROM rm_eval_items WHERE node = $n ORDER BY subset, item", ("$n", large)).Select(r => (double)r[0]!).ToList();
        Assert.Equal(ReportFormat.Score(Bootstrap.Mean(correct, Options)), accuracy[1][1]);
        Assert.Equal("60", accuracy[1][^1]);

        var (bonHeader, bon) = TableAfter(markdown, "### Best-of-N");
        Assert.Equal(["reward model", "N = 4"], bonHeader);
        Assert.Equal(3, bon.Count);

        var (_, ppo) = TableAfter(markdown, "### `ppo` with each reward model");
        Assert.Equal(["rm-small on noisy (baseline)", "rm-small on good", "rm-large on good"], ppo.Select(r => r[0]));
    }

    [Fact]
    public void Headline_table_gives_each_algorithm_and_dataset_once_with_the_reports_numbers()
    {
        var (header, rows) = TableAfter(study.Report.Markdown, "## Headline");
        Assert.Equal(["algorithm", "noisy", "good", HeadlineData.NoData], header);
        Assert.Equal(["dpo", "ppo", "bon4", "sft"], rows.Select(r => r[0]));
        Assert.Equal("", rows[0][3]);       // DPO always has data
        Assert.Equal("", rows[3][1]);       // the SFT reference has none
        var (_, datasets) = TableAfter(study.Report.Markdown, "## 1. Preference data");
        Assert.Equal(datasets[1][^3], rows[0][2]); // dpo on good: the same average as analysis 1

        string markdown = HeadlineTable.Render(study.Lab, interactive: false, LabGrids.FastReport());
        Assert.Equal(TableAfter("## Headline\n" + markdown, "## Headline").Rows, rows);
        string terminal = HeadlineTable.Render(study.Lab, interactive: true, LabGrids.FastReport());
        Assert.Contains("╭", terminal);
        Assert.Contains(rows[0][2], terminal);
    }

    [Fact]
    public void Plots_are_written_as_png_files()
    {
        string[] expected = ["datasets.png", "ppo-vs-dpo.png", "reward-models.png", "prompts.png", "curves-dpo.png", "curves-online.png", "reward-vs-sqrt-kl.png"];
        Assert.Equal(expected.Order(), study.Report.Plots.Select(Path.GetFileName).Order()!);
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        foreach (string plot in study.Report.Plots)
        {
            var bytes = File.ReadAllBytes(plot);
            Assert.True(bytes.Length > 5000, $"{plot} has {bytes.Length} bytes");
            Assert.Equal(signature, bytes[..8]);
            Assert.Contains($"](plots/{Path.GetFileName(plot)})", study.Report.Markdown);
        }
        Assert.Equal(study.Report.Markdown, File.ReadAllText(Path.Combine(study.Lab, "report.md")));
    }

    [Fact]
    public void Analyses_without_runs_are_omitted_with_the_factor_that_would_produce_them()
    {
        using var dir = new TempDir();
        LabRunner.Run(LabGrids.Write(dir, LabGrids.DpoOnly), dir.File("lab"), new FakeExecutor(), LabGrids.Quiet());
        var report = LabReport.Write(dir.File("lab"), LabGrids.FastReport(plots: true));
        Assert.Contains("## 1. Preference data\n\nOmitted: `dpo` has results for one dataset (good); add two or more levels to the `data` factor.", report.Markdown);
        Assert.Contains("## 2. PPO vs DPO\n\nOmitted: the store has no PPO results.", report.Markdown);
        Assert.Contains("## 3. Reward models\n\nOmitted: the store has no reward-model results. Add a `reward_model` factor", report.Markdown);
        Assert.Contains("## 4. Prompts for PPO\n\nOmitted: the store has no PPO results. Add a `ppo` level to `algorithm` and two or more levels to `prompts`.", report.Markdown);
        Assert.Equal(["curves-dpo.png"], report.Plots.Select(Path.GetFileName));
        Assert.Equal(2, report.Runs);
    }

    [Fact]
    public void Baselines_can_be_chosen_and_unknown_ones_are_refused()
    {
        var report = LabReport.Write(study.Lab, LabGrids.FastReport() with { Baselines = new Dictionary<string, string> { ["data"] = "good" } });
        var (_, rows) = TableAfter(report.Markdown, "## 1. Preference data");
        Assert.Equal(["good (baseline)", "noisy"], rows.Select(r => r[0]));
        Assert.Equal("lower", rows[1][^1]);
        var error = Assert.Throws<PrefLab.Runtime.UserError>(() => LabReport.Write(study.Lab, LabGrids.FastReport() with { Baselines = new Dictionary<string, string> { ["data"] = "hh" } }));
        Assert.Contains("baseline 'data=hh': no such level", error.Message);
        LabReport.Write(study.Lab, LabGrids.FastReport(plots: true)); // leave the shared report as the fixture wrote it
    }
}
