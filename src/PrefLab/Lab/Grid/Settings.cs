using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrefLab.Lab.Grid;

/// <summary>
/// A flat, immutable, canonical settings dictionary: keys in ordinal order, values JSON scalars (string, whole
/// number, number, bool) or lists of them. Whole-valued numbers are kept as integers, so <c>1e3</c> and
/// <c>1000</c> are the same setting, and the canonical JSON of two equal dictionaries is the same text —
/// the basis of every content hash in the lab.
/// </summary>
public sealed class Settings : IEquatable<Settings>
{
    readonly SortedDictionary<string, JsonNode> values;

    public static readonly Settings Empty = new(new SortedDictionary<string, JsonNode>(StringComparer.Ordinal));

    Settings(SortedDictionary<string, JsonNode> values) => this.values = values;

    public static Settings From(IEnumerable<KeyValuePair<string, JsonNode>> pairs)
    {
        var map = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs) map[key] = Normalize(value);
        return new Settings(map);
    }

    public IReadOnlyCollection<string> Keys => values.Keys;
    public int Count => values.Count;
    public IEnumerable<KeyValuePair<string, JsonNode>> Pairs => values;

    public bool Contains(string key) => values.ContainsKey(key);
    public JsonNode? this[string key] => values.TryGetValue(key, out var v) ? v : null;

    public Settings With(string key, JsonNode value)
    {
        var copy = new SortedDictionary<string, JsonNode>(values, StringComparer.Ordinal) { [key] = Normalize(value) };
        return new Settings(copy);
    }

    public Settings With(string key, string value) => With(key, JsonValue.Create(value));
    public Settings With(string key, long value) => With(key, JsonValue.Create(value));

    /// <summary>These settings with <paramref name="other"/>'s on top (other wins on a shared key).</summary>
    public Settings Merge(Settings other)
    {
        var copy = new SortedDictionary<string, JsonNode>(values, StringComparer.Ordinal);
        foreach (var (key, value) in other.values) copy[key] = value;
        return new Settings(copy);
    }

    public Settings Without(params string[] keys)
    {
        var copy = new SortedDictionary<string, JsonNode>(values, StringComparer.Ordinal);
        foreach (string key in keys) copy.Remove(key);
        return new Settings(copy);
    }

    /// <summary>Every key prefixed with <c>prefix.</c>.</summary>
    public Settings Prefixed(string prefix) =>
        From(values.Select(p => new KeyValuePair<string, JsonNode>(prefix + "." + p.Key, p.Value)));

    public string? GetString(string key) => this[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public long? GetLong(string key) => this[key] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    public double? GetDouble(string key) => this[key] switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => null,
    };

    /// <summary>Compact JSON, keys sorted, numbers in round-trip form: equal settings give equal text.</summary>
    public string ToCanonicalJson()
    {
        var builder = new StringBuilder("{");
        bool first = true;
        foreach (var (key, value) in values)
        {
            if (!first) builder.Append(',');
            first = false;
            builder.Append(JsonSerializer.Serialize(key)).Append(':').Append(ValueJson(value));
        }
        return builder.Append('}').ToString();
    }

    public JsonObject ToJsonObject() => (JsonObject)JsonNode.Parse(ToCanonicalJson())!;

    public static Settings FromJson(string json)
    {
        var obj = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("settings must be a JSON object");
        return From(obj.Select(p => new KeyValuePair<string, JsonNode>(p.Key,
            p.Value ?? throw new FormatException($"setting '{p.Key}' is null"))));
    }

    /// <summary>The canonical JSON of one value (a string in quotes, a number in round-trip form).</summary>
    public static string ValueJson(JsonNode value) => value switch
    {
        JsonArray array => "[" + string.Join(",", array.Select(item => ValueJson(item!))) + "]",
        JsonValue v when v.TryGetValue<string>(out var s) => JsonSerializer.Serialize(s),
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"unsupported setting value {value.ToJsonString()}"),
    };

    /// <summary>A value as people read it: strings bare, numbers in round-trip form, lists as JSON.</summary>
    public static string ValueText(JsonNode value) =>
        value is JsonValue v && v.TryGetValue<string>(out var s) ? s : ValueJson(value);

    static JsonNode Normalize(JsonNode value)
    {
        switch (value)
        {
            case JsonArray array:
                return new JsonArray(array.Select(item => (JsonNode?)Normalize(item ?? throw new ArgumentException("a list setting holds null"))).ToArray());
            case JsonValue v when v.TryGetValue<string>(out var s): return JsonValue.Create(s);
            case JsonValue v when v.TryGetValue<bool>(out var b): return JsonValue.Create(b);
            case JsonValue v when v.TryGetValue<long>(out var l): return JsonValue.Create(l);
            case JsonValue v when v.TryGetValue<int>(out var i): return JsonValue.Create((long)i);
            case JsonValue v when v.TryGetValue<double>(out var d):
                if (!double.IsFinite(d)) throw new ArgumentException($"setting value {d} is not a finite number");
                return d == Math.Floor(d) && Math.Abs(d) < 9e15 ? JsonValue.Create((long)d) : JsonValue.Create(d);
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                return Normalize(JsonValue.Create(v.GetValue<double>()));
            default:
                throw new ArgumentException($"unsupported setting value {value.ToJsonString()}");
        }
    }

    public bool Equals(Settings? other) => other is not null && ToCanonicalJson() == other.ToCanonicalJson();
    public override bool Equals(object? obj) => obj is Settings other && Equals(other);
    public override int GetHashCode() => ToCanonicalJson().GetHashCode(StringComparison.Ordinal);
    public override string ToString() => ToCanonicalJson();
}
