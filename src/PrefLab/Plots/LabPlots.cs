using PrefLab.Runtime;
using PrefLab.Statistics;
using ScottPlot;

namespace PrefLab.Plots;

/// <summary>A named line of (x, y) points.</summary>
public sealed record Series(string Label, IReadOnlyList<double> Xs, IReadOnlyList<double> Ys);

/// <summary>A group of bars (one per row) for each category, with its interval.</summary>
public sealed record BarGroup(string Category, IReadOnlyList<Estimate> Values);

/// <summary>
/// The report's PNG plots, drawn with ScottPlot (SkiaSharp, headless) and written atomically: per-category bars with
/// asymmetric error bars (the 95% intervals), and curves (training metrics against step, reward against sqrt(KL)).
/// </summary>
public static class LabPlots
{
    const int Width = 1000, Height = 520;

    /// <summary>Grouped bars: one group per category, one bar per row (in <paramref name="rowLabels"/> order).</summary>
    public static void CategoryBars(string path, string title, string yLabel, IReadOnlyList<string> rowLabels, IReadOnlyList<BarGroup> groups)
    {
        var plot = NewPlot(title, "", yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        int rows = rowLabels.Count;
        for (int r = 0; r < rows; r++)
        {
            var bars = new List<Bar>();
            var xs = new List<double>();
            var ys = new List<double>();
            var above = new List<double>();
            var below = new List<double>();
            for (int g = 0; g < groups.Count; g++)
            {
                var value = groups[g].Values[r];
                double x = g * (rows + 1) + r;
                bars.Add(new Bar { Position = x, Value = value.Mean, FillColor = palette.GetColor(r), Size = 0.9 });
                xs.Add(x);
                ys.Add(value.Mean);
                above.Add(Math.Max(0, value.Upper - value.Mean));
                below.Add(Math.Max(0, value.Mean - value.Lower));
            }
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = rowLabels[r];
            var zeros = new double[xs.Count];
            var errors = new ScottPlot.Plottables.ErrorBar(xs, ys, zeros, zeros, above, below) { LineColor = Colors.Black, LineWidth = 1.5f, CapSize = 4 };
            plot.Add.Plottable(errors);
        }
        var ticks = groups.Select((g, i) => (Position: i * (rows + 1) + (rows - 1) / 2.0, g.Category)).ToArray();
        plot.Axes.Bottom.SetTicks(ticks.Select(t => t.Position).ToArray(), ticks.Select(t => t.Category).ToArray());
        // Scores sit on 0; differences straddle it, so keep room below and mark the zero line.
        if (groups.All(g => g.Values.All(v => v.Lower >= 0))) plot.Axes.Margins(bottom: 0);
        else plot.Add.HorizontalLine(0, 1, Colors.Gray);
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, path);
    }

    /// <summary>Lines with markers, one per series.</summary>
    public static void Curves(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            if (series[i].Xs.Count == 0) continue;
            var line = plot.Add.Scatter(series[i].Xs.ToArray(), series[i].Ys.ToArray(), palette.GetColor(i));
            line.LegendText = series[i].Label;
            line.MarkerSize = series[i].Xs.Count > 60 ? 0 : 4;
        }
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path);
    }

    static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(Fonts.Sans);
        plot.Title(title);
        if (xLabel.Length > 0) plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    static void Save(Plot plot, string path) => AtomicFile.WriteAllBytes(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
}
