using System.Text.Json;
using PrefLab.Training;

namespace PrefLab.Lab.Store;

/// <summary>Reads a run directory's <c>metrics.jsonl</c> into points: every numeric field of a line with a
/// <c>step</c> becomes (step, field, value). A later line for the same step and metric wins (a resumed run that
/// logged a step twice keeps its last value); a torn last line (a crash mid-write) is ignored.</summary>
public static class MetricsFile
{
    public static IReadOnlyList<MetricPoint> Read(string runFolder)
    {
        string path = Path.Combine(runFolder, RunDirectory.MetricsFile);
        if (!File.Exists(path)) return [];
        var points = new Dictionary<(long, string), double>();
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(lines[i]);
            }
            catch (JsonException) when (i == lines.Length - 1)
            {
                break;
            }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object ||
                    !document.RootElement.TryGetProperty("step", out var stepElement) || !stepElement.TryGetInt64(out long step))
                    continue;
                foreach (var property in document.RootElement.EnumerateObject())
                    if (property.Name != "step" && property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetDouble(out double value) && double.IsFinite(value))
                        points[(step, property.Name)] = value;
            }
        }
        return points.OrderBy(p => p.Key.Item2, StringComparer.Ordinal).ThenBy(p => p.Key.Item1)
            .Select(p => new MetricPoint(p.Key.Item1, p.Key.Item2, p.Value)).ToList();
    }
}
