using System.Text;
using PrefLab.Evaluation.Harness;
using PrefLab.Plots;

namespace PrefLab.Evaluation.Reporting;

/// <summary>
/// The run's PNG bar charts, drawn by the lab's <see cref="LabPlots.CategoryBars"/> (ScottPlot, headless, written
/// atomically): one per category (a bar per model with its 95% interval as error bars), one with every category and
/// the average side by side, and with several models one of the paired deltas from the first.
/// </summary>
public static class ResultsPlots
{
    public const string Folder = "plots";

    /// <summary>Builds the plots in a fresh folder that then replaces <paramref name="folder"/> (no stale plots of an
    /// earlier run stay); returns the final paths.</summary>
    public static IReadOnlyList<string> Write(EvaluationResult result, string folder)
    {
        IReadOnlyList<string> names = [];
        Runtime.AtomicFile.WriteDirectory(folder, building => names = Draw(result, building).Select(Path.GetFileName).OfType<string>().ToList());
        return names.Select(name => Path.Combine(folder, name)).ToList();
    }

    static IReadOnlyList<string> Draw(EvaluationResult result, string folder)
    {
        var labels = result.Models.Select(m => m.Label).ToList();
        var written = new List<string>();
        var all = result.Summary.Categories.Append(result.Summary.Average).ToList();
        var usedNames = new HashSet<string>(StringComparer.Ordinal) { "all-categories", "deltas" };

        string overview = Path.Combine(folder, "all-categories.png");
        LabPlots.CategoryBars(overview, "Scores by category (95% bootstrap intervals)", "score", labels,
            all.Select(c => new BarGroup(c.Category, c.ByModel)).ToList());
        written.Add(overview);
        if (labels.Count > 1)
        {
            string deltas = Path.Combine(folder, "deltas.png");
            LabPlots.CategoryBars(deltas, $"Difference from {labels[0]} (paired 95% intervals)", $"score - {labels[0]}", labels.Skip(1).ToList(),
                all.Select(c => new BarGroup(c.Category, c.DeltaFromFirst.Skip(1).Select(d => d!.Value).ToList())).ToList());
            written.Add(deltas);
        }
        foreach (var category in all)
        {
            string name = FileName(category.Category);
            for (int n = 2; !usedNames.Add(name); n++) name = FileName(category.Category) + "-" + n;
            string path = Path.Combine(folder, name + ".png");
            LabPlots.CategoryBars(path, $"{category.Category} (n={category.Items}, 95% bootstrap intervals)", "score", labels,
                [new BarGroup(category.Category, category.ByModel)]);
            written.Add(path);
        }
        return written;
    }

    /// <summary>A category as a file name: lower-case letters, digits, '-' and '_' ("high school physics" gives "high_school_physics").</summary>
    public static string FileName(string category)
    {
        var name = new StringBuilder();
        foreach (char c in category.Trim().ToLowerInvariant())
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        return name.Length == 0 ? "category" : name.ToString();
    }
}
