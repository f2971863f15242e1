using System.Globalization;
using System.Text;
using PrefLab.Evaluation.RewardModels;
using PrefLab.Statistics;

namespace PrefLab.Cli.Commands.RewardModels;

/// <summary>Plain-text tables of <see cref="RewardEvalReport"/>.</summary>
internal static class RmEvalText
{
    static string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);
    static string F(double? value) => value is double v ? F(v) : "n/a";
    static string Interval(Estimate e) => $"{F(e.Mean)} [{F(e.Lower)}, {F(e.Upper)}]";

    /// <summary>A section per model: each set's summary line and its subsets.</summary>
    public static string Sections(RewardEvalReport report)
    {
        var text = new StringBuilder();
        foreach (var model in report.Models)
        {
            text.AppendLine($"model: {model.Model}");
            foreach (var set in model.Sets)
            {
                text.AppendLine($"  {set.Name} ({(set.Kind == "world" ? "gold agreement on held-out World pairs" : "data")}): {set.Pairs} pairs{Dropped(set)}");
                text.AppendLine($"    accuracy {Interval(set.Accuracy)}   mean margin {F(set.MeanMargin)}   ECE {F(set.Calibration.Ece)}");
                text.AppendLine($"    reward vs length: pearson {F(set.Length.Pearson)}, spearman {F(set.Length.Spearman)}; RM prefers the longer response in {F(set.Length.RmPrefersLonger)} of {set.Length.LengthDecidedPairs} pairs (labels: {F(set.Length.ChosenLonger)})");
                foreach (var group in set.Subsets.GroupBy(s => s.Key))
                {
                    text.AppendLine($"    by {group.Key}:");
                    int width = Math.Max(8, group.Max(s => s.Value.Length));
                    foreach (var s in group)
                        text.AppendLine($"      {s.Value.PadRight(width)} {s.Pairs,6}  {Interval(s.Accuracy)}  margin {F(s.MeanMargin)}");
                }
            }
        }
        AppendComparisons(text, report);
        if (report.WorldMethod is not null) text.AppendLine($"world pairs: {report.WorldMethod}");
        text.AppendLine($"accuracy intervals: {report.IntervalMethod}; ECE: 10 equal-width confidence bins over [0.5, 1]");
        return text.ToString();
    }

    /// <summary>One table, a column per model: accuracy per set and subset, then margin, ECE, length correlation.</summary>
    public static string Compare(RewardEvalReport report)
    {
        var names = ModelNames(report.Models.Select(m => m.Model).ToList());
        var rows = new List<(string Label, string[] Cells)>();
        var sets = report.Models[0].Sets;
        for (int s = 0; s < sets.Count; s++)
        {
            rows.Add(($"{sets[s].Name} accuracy", report.Models.Select(m => Interval(m.Sets[s].Accuracy)).ToArray()));
            foreach (var subset in sets[s].Subsets)
                rows.Add(($"  {subset.Key}={subset.Value}", report.Models.Select(m =>
                    m.Sets[s].Subsets.FirstOrDefault(x => x.Key == subset.Key && x.Value == subset.Value) is { } r ? Interval(r.Accuracy) : "n/a").ToArray()));
            rows.Add(("  pairs", report.Models.Select(m => m.Sets[s].Pairs.ToString(CultureInfo.InvariantCulture)).ToArray()));
            rows.Add(("  mean margin", report.Models.Select(m => F(m.Sets[s].MeanMargin)).ToArray()));
            rows.Add(("  ECE", report.Models.Select(m => F(m.Sets[s].Calibration.Ece)).ToArray()));
            rows.Add(("  reward~length spearman", report.Models.Select(m => F(m.Sets[s].Length.Spearman)).ToArray()));
            rows.Add(("  prefers longer", report.Models.Select(m => F(m.Sets[s].Length.RmPrefersLonger)).ToArray()));
        }
        int labelWidth = rows.Max(r => r.Label.Length) + 2;
        var widths = names.Select((n, i) => Math.Max(n.Length, rows.Max(r => r.Cells[i].Length)) + 2).ToArray();
        var text = new StringBuilder();
        text.Append("".PadRight(labelWidth));
        for (int i = 0; i < names.Count; i++) text.Append(names[i].PadRight(widths[i]));
        text.AppendLine();
        foreach (var (label, cells) in rows)
        {
            text.Append(label.PadRight(labelWidth));
            for (int i = 0; i < cells.Length; i++) text.Append(cells[i].PadRight(widths[i]));
            text.AppendLine();
        }
        AppendComparisons(text, report);
        if (report.WorldMethod is not null) text.AppendLine($"world pairs: {report.WorldMethod}");
        text.AppendLine($"accuracy intervals: {report.IntervalMethod}");
        return text.ToString();
    }

    static void AppendComparisons(StringBuilder text, RewardEvalReport report)
    {
        if (report.Comparisons.Count == 0) return;
        text.AppendLine($"accuracy difference vs {report.Models[0].Model} (paired by pair):");
        foreach (var c in report.Comparisons)
            text.AppendLine($"  {c.Model} on {c.Set}: {(c.Difference.Mean >= 0 ? "+" : "")}{F(c.Difference.Mean)} [{F(c.Difference.Lower)}, {F(c.Difference.Upper)}] (n={c.Difference.N})");
    }

    static string Dropped(PairSetResult set)
    {
        long dropped = set.Input["tokenization"]?["dropped"]?.GetValue<long>() ?? 0;
        return dropped > 0 ? $" ({dropped} dropped as too long or without a completion)" : "";
    }

    /// <summary>Folder names, made unique with their position when two share a name.</summary>
    static List<string> ModelNames(IReadOnlyList<string> folders)
    {
        var names = folders.Select(f => Path.GetFileName(Path.TrimEndingDirectorySeparator(f))).ToList();
        return names.Select((n, i) => names.Count(x => x == n) > 1 ? $"{n}#{i + 1}" : n).ToList();
    }
}
