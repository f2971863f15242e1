using System.Text.Json.Nodes;
using System.Text.Json;

namespace PrefLab.Runtime;

/// <summary>Shared JSON settings: compact lines for JSONL, indented for manifests.</summary>
public static class JsonOptions
{
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}

/// <summary>Converts option and metric values to JSON; non-finite numbers become null (JSON has no NaN).</summary>
public static class JsonValues
{
    public static JsonNode? From(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        double d => double.IsFinite(d) ? JsonValue.Create(d) : null,
        float f => float.IsFinite(f) ? JsonValue.Create(f) : null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        FileSystemInfo info => JsonValue.Create(info.ToString()),
        System.Collections.IEnumerable list => new JsonArray(list.Cast<object?>().Select(From).ToArray()),
        _ => JsonValue.Create(value.ToString()),
    };
}
