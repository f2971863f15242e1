using System.Globalization;
using System.Text;
using PrefLab.Lab.Grid;
using PrefLab.Statistics;

namespace PrefLab.Lab.Report;

/// <summary>How the report writes numbers: three decimals, intervals in brackets, signed differences.</summary>
public static class ReportFormat
{
    public static string Score(Estimate e) => string.Create(CultureInfo.InvariantCulture, $"{e.Mean:F3} [{e.Lower:F3}, {e.Upper:F3}]");

    public static string Delta(Estimate e) => string.Create(CultureInfo.InvariantCulture, $"{e.Mean:+0.000;-0.000;0.000} [{e.Lower:+0.000;-0.000;0.000}, {e.Upper:+0.000;-0.000;0.000}]");

    public const string NoEffect = "no detectable effect";

    /// <summary>"higher" or "lower" when the interval excludes 0, else "no detectable effect".</summary>
    public static string Verdict(Estimate delta) =>
        delta.Lower > 0 ? "higher" : delta.Upper < 0 ? "lower" : NoEffect;

    public static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var text = new StringBuilder();
        text.Append("| ").Append(string.Join(" | ", header.Select(Cell))).Append(" |\n");
        text.Append('|').Append(string.Join("|", header.Select(_ => "---"))).Append("|\n");
        foreach (var row in rows) text.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
        return text.ToString();
    }
}

/// <summary>One row: a configuration's per-category scores and average, and its difference from the baseline row.</summary>
public sealed record ScoreRow(string Label, Config Config, IReadOnlyDictionary<string, Estimate> Categories, Estimate Average, Estimate? Delta,
    IReadOnlyDictionary<string, Estimate>? CategoryDeltas);

/// <summary>
/// A table of configurations scored on the items they all share: per-category scores and the average with 95%
/// intervals, and each row's average minus the baseline row's (paired by item) with its verdict.
/// </summary>
public sealed class ScoreTable
{
    ScoreTable(IReadOnlyList<string> categories, IReadOnlyList<ScoreRow> rows, ItemSet items, int? baseline)
    {
        Categories = categories;
        Rows = rows;
        Items = items;
        BaselineIndex = baseline;
    }

    public IReadOnlyList<string> Categories { get; }
    public IReadOnlyList<ScoreRow> Rows { get; }
    public ItemSet Items { get; }
    public int? BaselineIndex { get; }

    public static ScoreTable Build(ScoreBook book, IReadOnlyList<(string Label, Config Config)> rows, int? baseline)
    {
        var items = book.CommonItems(rows.Select(r => r.Config));
        if (items.Count == 0) return new ScoreTable([], [], items, null);
        var labels = Labels.Disambiguate(rows);
        var built = new List<ScoreRow>();
        for (int i = 0; i < rows.Count; i++)
        {
            var config = rows[i].Config;
            var categories = items.Categories.ToDictionary(c => c, c => book.Mean(config, items, c));
            var average = book.Mean(config, items, null);
            Estimate? delta = null;
            Dictionary<string, Estimate>? categoryDeltas = null;
            if (baseline is int b && b != i)
            {
                delta = book.Difference(config, rows[b].Config, items, null);
                categoryDeltas = items.Categories.ToDictionary(c => c, c => book.Difference(config, rows[b].Config, items, c));
            }
            built.Add(new ScoreRow(labels[i], config, categories, average, delta, categoryDeltas));
        }
        return new ScoreTable(items.Categories, built, items, baseline);
    }

    public bool IsEmpty => Items.Count == 0;

    public const string NoSharedItems = "The runs of this comparison share no evaluation item (were they evaluated on different suites?), so they cannot be compared.\n";

    public string ToMarkdown(string rowHeader)
    {
        if (IsEmpty) return NoSharedItems;
        var header = new List<string> { rowHeader };
        header.AddRange(Categories);
        header.Add("average");
        if (BaselineIndex is not null) header.AddRange(["Δ average vs baseline", "effect"]);
        var rows = Rows.Select((row, i) =>
        {
            var cells = new List<string> { row.Label + (i == BaselineIndex ? " (baseline)" : "") };
            cells.AddRange(Categories.Select(c => ReportFormat.Score(row.Categories[c])));
            cells.Add(ReportFormat.Score(row.Average));
            if (BaselineIndex is not null)
            {
                cells.Add(row.Delta is { } d ? ReportFormat.Delta(d) : "—");
                cells.Add(row.Delta is { } e ? ReportFormat.Verdict(e) : "baseline");
            }
            return (IReadOnlyList<string>)cells;
        });
        return ReportFormat.Table(header, rows) + ItemsNote() + DeltasMarkdown();
    }

    /// <summary>Each row minus the baseline, per category and on average (paired by item).</summary>
    string DeltasMarkdown()
    {
        if (BaselineIndex is not int b || Rows.Count < 2) return "";
        var header = new List<string> { $"Δ vs {Rows[b].Label}" };
        header.AddRange(Categories);
        header.Add("average");
        var rows = Rows.Where(r => r.Delta is not null).Select(row =>
        {
            var cells = new List<string> { row.Label };
            cells.AddRange(Categories.Select(c => ReportFormat.Delta(row.CategoryDeltas![c])));
            cells.Add(ReportFormat.Delta(row.Delta!.Value));
            return (IReadOnlyList<string>)cells;
        });
        return "\nDifferences from the baseline per category (paired by item, 95% intervals):\n\n" + ReportFormat.Table(header, rows);
    }

    public string ItemsNote() =>
        string.Create(CultureInfo.InvariantCulture, $"\n{Items.Count} items in {Categories.Count} categories; seeds per row: ") +
        string.Join(", ", Rows.Select(r => $"{r.Label} {r.Config.Runs.Count}")) +
        (Items.LeftOut > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {Items.LeftOut} item scores not shared by every run were left out") : "") + ".\n";

    /// <summary>One sentence per non-baseline row on its difference from the baseline.</summary>
    public IEnumerable<string> Findings()
    {
        if (BaselineIndex is not int b) yield break;
        foreach (var row in Rows.Where(r => r.Delta is not null))
        {
            var d = row.Delta!.Value;
            string verdict = ReportFormat.Verdict(d);
            var detected = Categories.Where(c => ReportFormat.Verdict(row.CategoryDeltas![c]) != ReportFormat.NoEffect)
                .Select(c => $"{c} {ReportFormat.Delta(row.CategoryDeltas![c])}").ToList();
            string categories = detected.Count == 0 ? "no category on its own"
                : detected.Count == Categories.Count ? "every category" : string.Join("; ", detected);
            yield return (verdict == ReportFormat.NoEffect
                ? $"{row.Label} vs {Rows[b].Label}: {ReportFormat.Delta(d)} on average — no detectable effect (the interval spans 0)"
                : $"{row.Label} vs {Rows[b].Label}: {ReportFormat.Delta(d)} on average — {verdict} (the interval excludes 0)")
                + $"; detectable in {categories}.";
        }
    }
}

/// <summary>Row labels: a configuration's level name, made unique when two rows share it by adding the settings in
/// which they differ.</summary>
public static class Labels
{
    public static IReadOnlyList<string> Disambiguate(IReadOnlyList<(string Label, Config Config)> rows)
    {
        var labels = rows.Select(r => r.Label).ToArray();
        foreach (var group in rows.Select((r, i) => (r, i)).GroupBy(x => x.r.Label).Where(g => g.Count() > 1))
        {
            var members = group.ToList();
            var keys = members.SelectMany(m => m.r.Config.Settings.Keys).Distinct()
                .Where(k => members.Select(m => m.r.Config.Settings[k] is { } v ? Settings.ValueJson(v) : "").Distinct().Count() > 1)
                .Take(2).ToList();
            foreach (var (row, index) in members)
            {
                string detail = keys.Count == 0 ? row.Config.Key[..8]
                    : string.Join(", ", keys.Select(k => $"{k}={(row.Config.Settings[k] is { } v ? Settings.ValueText(v) : "—")}"));
                labels[index] = $"{row.Label} ({detail})";
            }
        }
        return labels;
    }
}
