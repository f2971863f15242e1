using System.Globalization;
using System.Text;
using PrefLab.Lab.Store;
using PrefLab.Runtime;

namespace PrefLab.Lab.Report;

/// <summary>
/// Writes <c>LAB/report.md</c> (atomically) and <c>LAB/plots/*.png</c> from the results store alone: the instrument, the paper's findings this grid can test, the headline, the
/// paper's four analyses (preference data; PPO vs DPO; reward models; prompts for PPO) with 95% bootstrap intervals
/// over items and seeds, training curves, and any failed nodes.
/// </summary>
public static class LabReport
{
    public static LabReportResult Write(string labDir, LabReportOptions? options = null)
    {
        options ??= new LabReportOptions();
        var folder = new LabFolder(labDir);
        using var store = folder.OpenStoreForReading();
        var configs = new ConfigSet(store, options.Grid, options.Baselines);
        if (options.Grid is not null && !store.Grids().Any(g => g.Name == options.Grid))
            throw UserError.InOption("grid", $"no grid named '{options.Grid}' in {folder.Root} (it has {string.Join(", ", store.Grids().Select(g => g.Name).Distinct())})");
        var context = new ReportContext(store, configs, new ScoreBook(store, options.Bootstrap), folder, options);
        if (options.Plots) Directory.CreateDirectory(folder.PlotsFolder);

        var text = new StringBuilder();
        text.Append("# PrefLab lab report\n\n");
        Overview(text, store, configs, options);
        var instrument = Instrument.Compute(context);
        text.Append('\n').Append(Instrument.ToMarkdown(instrument));
        var findings = PaperFindings.Compute(context, instrument);
        string findingsText = PaperFindings.ToMarkdown(findings);
        if (findingsText.Length > 0) text.Append('\n').Append(findingsText);
        var utilisation = UtilisationFigures.Compute(store, options.Grid);
        string cost = utilisation.ToMarkdown();
        if (cost.Length > 0) text.Append('\n').Append(cost);
        text.Append("\n## Headline: average score by algorithm and dataset\n\n");
        var headline = HeadlineTable.Compute(configs, context.Book);
        text.Append(HeadlineTable.ToMarkdown(headline));
        foreach (var section in new Func<ReportContext, string>[] { Analyses.Datasets, Analyses.OnlineVsOffline, Analyses.RewardModels, Analyses.Prompts, Analyses.Curves })
        {
            string markdown = section(context);
            if (markdown.Length > 0) text.Append('\n').Append(markdown);
        }
        FailedNodes(text, store, options.Grid);
        Configurations(text, configs);

        string markdownText = text.ToString();
        AtomicFile.WriteAllText(folder.ReportPath, markdownText);
        return new LabReportResult(folder.ReportPath, context.Plots, markdownText, configs.Runs.Count, headline, instrument, utilisation) { Findings = findings, GridName = options.Grid };
    }

    static void Overview(StringBuilder text, LabStore store, ConfigSet configs, LabReportOptions options)
    {
        var grids = store.Grids().Where(g => options.Grid is null || g.Name == options.Grid).ToList();
        // The nodes the reported grids' current runs use: nodes of an older plan stay in the store but are not counted.
        var status = store.GridNodes(options.Grid).GroupBy(n => n.Status).ToDictionary(g => g.Key, g => g.Count());
        int Count(string s) => status.GetValueOrDefault(s);
        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"Grids: {string.Join(", ", grids.Select(g => $"`{g.Name}`").Distinct())}. Completed runs: {configs.Runs.Count} in {configs.All.Count} configurations. " +
            $"Nodes: {Count(NodeStatus.Done)} done, {Count(NodeStatus.Running)} interrupted, {Count(NodeStatus.Pending)} pending, {Count(NodeStatus.Failed)} failed.\n\n"));
        var b = options.Bootstrap;
        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"Scores are means over evaluation items (per category) and over seeds; \"average\" is the mean of the category means. " +
            $"Intervals are {b.Confidence * 100:0.#}% percentile-bootstrap intervals ({b.Resamples} resamples, seed {b.Seed}) that resample items " +
            $"(one draw shared by all seeds and, for differences, by both configurations) and seeds. A difference whose interval spans 0 is reported as " +
            $"\"{ReportFormat.NoEffect}\".\n"));
    }

    static void FailedNodes(StringBuilder text, LabStore store, string? grid)
    {
        var failed = store.GridNodes(grid).Where(n => n.Status == NodeStatus.Failed).ToList();
        if (failed.Count == 0) return;
        text.Append("\n## Failed nodes\n\n");
        text.Append(ReportFormat.Table(["node", "kind", "what", "error"],
            failed.Select(n => (IReadOnlyList<string>)[n.Id, n.Kind, n.Label, n.Error ?? ""])));
    }

    static void Configurations(StringBuilder text, ConfigSet configs)
    {
        if (configs.All.Count == 0) return;
        text.Append("\n## Configurations\n\nEach row's runs share every resolved setting but the seed (the store's `runs.config`).\n\n");
        text.Append(ReportFormat.Table(["config", "algorithm", "data", "reward model", "prompts", "seeds"],
            configs.All.Select(c => (IReadOnlyList<string>)[c.Key, c.Labels.Algorithm, c.Labels.Data ?? "—", c.Labels.RewardModel ?? "—",
                c.Labels.Prompts ?? "—", string.Join(", ", c.Seeds)])));
    }
}
