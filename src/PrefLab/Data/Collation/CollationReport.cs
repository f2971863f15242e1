using System.Text.Json.Nodes;

namespace PrefLab.Data.Collation;

/// <summary>How many examples tokenization kept, truncated and dropped (by reason): written to run.json.</summary>
public sealed class CollationReport
{
    readonly Dictionary<string, long> dropped = new(StringComparer.Ordinal);

    public long Kept { get; private set; }
    public long Truncated { get; private set; }
    public IReadOnlyDictionary<string, long> Dropped => dropped;
    public long DroppedTotal => dropped.Values.Sum();

    public void Keep(bool truncated)
    {
        Kept++;
        if (truncated) Truncated++;
    }

    public void Drop(string reason) => dropped[reason] = dropped.TryGetValue(reason, out long n) ? n + 1 : 1;

    public JsonObject ToJson()
    {
        var reasons = new JsonObject();
        foreach (var (reason, n) in dropped.OrderBy(p => p.Key, StringComparer.Ordinal)) reasons[reason] = n;
        return new JsonObject { ["kept"] = Kept, ["truncated"] = Truncated, ["dropped"] = DroppedTotal, ["dropped_by_reason"] = reasons };
    }

    public override string ToString() =>
        $"kept {Kept} (truncated {Truncated}), dropped {DroppedTotal}" +
        (dropped.Count == 0 ? "" : " (" + string.Join(", ", dropped.Select(p => $"{p.Key}: {p.Value}")) + ")");
}
