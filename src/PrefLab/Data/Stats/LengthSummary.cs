using System.Text.Json.Nodes;

namespace PrefLab.Data.Stats;

/// <summary>Percentiles of a length distribution by the nearest-rank method (the p-th percentile is the
/// smallest value with at least p% of the values at or below it).</summary>
public sealed record LengthSummary(long Count, double Mean, int P50, int P90, int P99, int Max)
{
    public static LengthSummary Of(IReadOnlyList<int> values)
    {
        if (values.Count == 0) return new LengthSummary(0, 0, 0, 0, 0, 0);
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return new LengthSummary(sorted.Length, sorted.Average(v => (double)v),
            NearestRank(sorted, 50), NearestRank(sorted, 90), NearestRank(sorted, 99), sorted[^1]);
    }

    public static int NearestRank(int[] sorted, int percent) =>
        sorted[Math.Max(0, (int)Math.Ceiling(percent / 100.0 * sorted.Length) - 1)];

    public JsonObject ToJson() => new()
    {
        ["count"] = Count,
        ["mean"] = Math.Round(Mean, 3),
        ["p50"] = P50,
        ["p90"] = P90,
        ["p99"] = P99,
        ["max"] = Max,
    };
}
