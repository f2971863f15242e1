using System.Globalization;
using System.Text;
using PrefLab.Evaluation.Harness;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Reporting;

/// <summary>
/// The summary as text: one row per category and the average, a column per model (mean [95% interval]) and, with
/// several models, a column per later model with its paired delta from the first; then the secondary metrics.
/// Plain text for the terminal, or Markdown tables for report.md.
/// </summary>
public static class ResultsTable
{
    public static string Scores(EvaluationResult result, bool markdown = false)
    {
        var models = result.Models.Select(m => m.Label).ToList();
        var header = new List<string> { "category", "n" };
        header.AddRange(models);
        header.AddRange(models.Skip(1).Select(m => $"{m} - {models[0]}"));
        var rows = new List<List<string>>();
        foreach (var category in result.Summary.Categories.Append(result.Summary.Average))
        {
            var row = new List<string> { category.Category, category.Items.ToString(CultureInfo.InvariantCulture) };
            row.AddRange(category.ByModel.Select(e => Format(e)));
            row.AddRange(category.DeltaFromFirst.Skip(1).Select(e => Format(e!.Value, signed: true)));
            rows.Add(row);
        }
        return Layout(header, rows, markdown, rightAligned: c => c >= 1);
    }

    /// <summary>The suites' secondary metrics, one row per (category, metric), a column per model; empty when none.</summary>
    public static string Metrics(EvaluationResult result, bool markdown = false, bool briefOnly = false)
    {
        var models = result.Models.Select(m => m.Label).ToList();
        var header = new List<string> { "category", "metric", "n" };
        header.AddRange(models);
        var rows = new List<List<string>>();
        foreach (var category in result.Summary.Categories)
        {
            var names = category.MetricsByModel.SelectMany(ms => ms.Where(m => m.Brief || !briefOnly).Select(m => m.Name)).Distinct().ToList();
            foreach (string name in names)
            {
                var perModel = category.MetricsByModel.Select(ms => ms.FirstOrDefault(m => m.Name == name)).ToList();
                var row = new List<string> { category.Category, name, perModel.FirstOrDefault(m => m is not null)!.Value.N.ToString(CultureInfo.InvariantCulture) };
                row.AddRange(perModel.Select(m => m is null ? "-" : m.HasInterval ? Format(m.Value) : Number(m.Value.Mean)));
                rows.Add(row);
            }
        }
        return rows.Count == 0 ? "" : Layout(header, rows, markdown, rightAligned: c => c >= 2);
    }

    /// <summary>The metrics' descriptions, one line each (first use of each name).</summary>
    public static IEnumerable<string> MetricLegend(EvaluationResult result) =>
        result.Summary.Categories.SelectMany(c => c.MetricsByModel.SelectMany(ms => ms))
            .GroupBy(m => (m.Name, m.Description)).Select(g => g.Key)
            .GroupBy(k => k.Name).Select(g => $"{g.Key}: {string.Join("; ", g.Select(k => k.Description))}");

    /// <summary>What the numbers mean: the suites' item scores, the average, the intervals, the deltas.</summary>
    public static IEnumerable<string> Legend(EvaluationResult result)
    {
        var bootstrap = result.Options.Bootstrap;
        foreach (var suite in result.Suites) yield return $"{suite.Name}: {suite.Headline}";
        yield return FormattableString.Invariant(
            $"intervals: {bootstrap.Confidence * 100:0.#}% percentile bootstrap over items ({bootstrap.Resamples} resamples, seed {bootstrap.Seed})");
        yield return $"average: the mean of the {result.Summary.Categories.Count} category means (each category counts once)";
        if (result.Models.Count > 1)
            yield return $"deltas: each model minus {result.Models[0].Label} on the same items, paired bootstrap (one item draw for both)";
    }

    public static string Format(Estimate estimate, bool signed = false) =>
        $"{Number(estimate.Mean, signed)} [{Number(estimate.Lower, signed)}, {Number(estimate.Upper, signed)}]";

    public static string Number(double value, bool signed = false) =>
        value.ToString(signed ? "+0.000;-0.000;0.000" : "0.000", CultureInfo.InvariantCulture);

    static string Layout(List<string> header, List<List<string>> rows, bool markdown, Func<int, bool> rightAligned)
    {
        var text = new StringBuilder();
        if (markdown)
        {
            text.Append("| ").AppendJoin(" | ", header).Append(" |\n");
            text.Append('|').AppendJoin('|', header.Select((_, c) => rightAligned(c) ? "---:" : "---")).Append("|\n");
            foreach (var row in rows) text.Append("| ").AppendJoin(" | ", row.Select(cell => cell.Replace("|", "\\|"))).Append(" |\n");
            return text.ToString();
        }
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length))).ToArray();
        string Line(List<string> cells) => string.Join("  ", cells.Select((cell, c) => rightAligned(c) ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd();
        text.Append(Line(header)).Append('\n');
        foreach (var row in rows) text.Append(Line(row)).Append('\n');
        return text.ToString();
    }
}
