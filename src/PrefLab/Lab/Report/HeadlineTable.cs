using PrefLab.Lab.Grid;
using PrefLab.Runtime.Console;
using PrefLab.Statistics;
using Spectre.Console;

namespace PrefLab.Lab.Report;

/// <summary>The headline: average score (95% interval) per algorithm level × dataset.</summary>
public sealed record HeadlineData(IReadOnlyList<string> Algorithms, IReadOnlyList<string> Datasets, IReadOnlyDictionary<(string Algorithm, string Dataset), Estimate> Cells)
{
    /// <summary>The column for runs that use no preference data (the SFT reference, gold-reward RL).</summary>
    public const string NoData = "—";
}

/// <summary>
/// The compact table <c>preflab demo</c> prints at the end and the report opens with: for each algorithm level
/// (rows) and dataset (columns), the configuration closest to the default reward model and prompt set, and its
/// average score over categories with its 95% interval.
/// </summary>
public static class HeadlineTable
{
    public static HeadlineData Compute(ConfigSet configs, ScoreBook book)
    {
        var cells = new Dictionary<(string, string), Estimate>();
        var algorithms = configs.OrderBy(configs.All, Factors.Algorithm).Select(c => c.Labels.Algorithm).Distinct().ToList();
        var datasets = configs.OrderBy(configs.All, Factors.Data).Select(c => c.Labels.Data ?? HeadlineData.NoData).Distinct().ToList();
        foreach (string algorithm in algorithms)
            foreach (string dataset in datasets)
            {
                var candidates = configs.All.Where(c => c.Labels.Algorithm == algorithm && (c.Labels.Data ?? HeadlineData.NoData) == dataset).ToList();
                if (candidates.Count == 0) continue;
                var config = configs.Closest(candidates, Factors.RewardModel, Factors.Prompts);
                var items = book.CommonItems([config]);
                if (items.Count > 0) cells[(algorithm, dataset)] = book.Mean(config, items, null);
            }
        return new HeadlineData(algorithms, datasets, cells);
    }

    /// <summary>The headline of the lab in <paramref name="labDir"/>, rendered as a Spectre.Console table when
    /// <paramref name="interactive"/> (default: when the terminal is interactive), as Markdown otherwise.</summary>
    public static string Render(string labDir, bool? interactive = null, LabReportOptions? options = null)
    {
        options ??= new LabReportOptions();
        var folder = new LabFolder(labDir);
        using var store = folder.OpenStoreForReading();
        var configs = new ConfigSet(store, options.Grid, options.Baselines);
        var data = Compute(configs, new ScoreBook(store, options.Bootstrap));
        return interactive ?? ProgressReporter.IsInteractive ? ToTerminal(data) : ToMarkdown(data);
    }

    public static string ToMarkdown(HeadlineData data)
    {
        if (data.Cells.Count == 0) return "No completed runs in the store.\n";
        var header = new List<string> { "algorithm" };
        header.AddRange(data.Datasets);
        var rows = data.Algorithms.Select(a => (IReadOnlyList<string>)new List<string> { a }
            .Concat(data.Datasets.Select(d => data.Cells.TryGetValue((a, d), out var e) ? ReportFormat.Score(e) : "")).ToList());
        return ReportFormat.Table(header, rows);
    }

    public static string ToTerminal(HeadlineData data, int width = 120)
    {
        if (data.Cells.Count == 0) return "No completed runs in the store.\n";
        var table = new Table().Border(TableBorder.Rounded).Title("average score [[95% CI]]");
        table.AddColumn("algorithm");
        foreach (string dataset in data.Datasets) table.AddColumn(new TableColumn(Markup.Escape(dataset)).RightAligned());
        foreach (string algorithm in data.Algorithms)
            table.AddRow(new[] { Markup.Escape(algorithm) }.Concat(data.Datasets.Select(d =>
                data.Cells.TryGetValue((algorithm, d), out var e) ? Markup.Escape(ReportFormat.Score(e)) : "")).ToArray());
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        console.Write(table);
        return writer.ToString();
    }
}
