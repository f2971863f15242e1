using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Training;

/// <summary>
/// The step-keyed JSONL logs of a run (<c>metrics.jsonl</c>, <c>rollouts.jsonl</c>): one JSON object a line with a
/// <c>"step"</c>. A resumed run rewinds them to its checkpoint's step, so every logged step appears exactly once
/// whatever point the earlier process was killed at.
/// </summary>
public static class StepLines
{
    /// <summary>Keeps the lines whose step is at most <paramref name="step"/> (0: none), atomically (temporary file,
    /// then rename). A torn last line, left by a kill in mid-write, is dropped too.</summary>
    public static void KeepThrough(string path, long step)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadLines(path).Where(line => StepOf(line) is long s && s <= step).ToList();
        AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
    }

    static long? StepOf(string line) => Parse(line)?["step"] is JsonValue value && value.TryGetValue(out long step) ? step : null;

    static JsonObject? Parse(string line)
    {
        if (line.Length == 0) return null;
        try { return JsonNode.Parse(line) as JsonObject; }
        catch (JsonException) { return null; }
    }
}
