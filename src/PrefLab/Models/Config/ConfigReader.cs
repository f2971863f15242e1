using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Models.Config;

/// <summary>Typed reads of a Hugging Face <c>config.json</c> object, with Hugging Face's defaults for absent or
/// null keys, and errors that name the file and the field.</summary>
internal sealed class ConfigReader
{
    public ConfigReader(JsonObject json, string path)
    {
        Json = json;
        Path = path;
    }

    public JsonObject Json { get; }
    public string Path { get; }

    public UserError Error(string field, string what) => new($"{Path}: field '{field}': {what}");

    public JsonNode? Get(string key) => Json.TryGetPropertyValue(key, out var node) ? node : null;

    /// <summary>True when the key has a non-null value.</summary>
    public bool Has(string key) => Get(key) is not null;

    /// <summary>True when the key is written, even as null (null can differ from absent: Mistral's sliding_window).</summary>
    public bool Present(string key) => Json.ContainsKey(key);

    public int Int(string key, int fallback) => OptionalInt(key) ?? fallback;

    public int PositiveInt(string key, int fallback)
    {
        int value = Int(key, fallback);
        if (value <= 0) throw Error(key, $"must be a positive whole number, not {value}");
        return value;
    }

    public int? OptionalInt(string key) => Get(key) is { } node ? AsInt(node, key) : null;

    public double Double(string key, double fallback)
    {
        if (Get(key) is not JsonValue value) return Get(key) is null ? fallback : throw Error(key, "must be a number");
        if (value.GetValueKind() != JsonValueKind.Number) throw Error(key, $"must be a number, not {value.ToJsonString()}");
        return AsDouble(value);
    }

    public bool Bool(string key, bool fallback)
    {
        var node = Get(key);
        if (node is null) return fallback;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(key, $"must be true or false, not {node.ToJsonString()}"),
        };
    }

    public string? String(string key)
    {
        var node = Get(key);
        if (node is null) return null;
        if (node.GetValueKind() != JsonValueKind.String) throw Error(key, $"must be a string, not {node.ToJsonString()}");
        return node.GetValue<string>();
    }

    /// <summary>An id or a list of ids (Llama 3's <c>eos_token_id</c> is a list).</summary>
    public IReadOnlyList<int> IntOrIntList(string key)
    {
        var node = Get(key);
        return node switch
        {
            null => Array.Empty<int>(),
            JsonArray list => list.Select(item => item is null ? throw Error(key, "holds a null") : AsInt(item, key)).ToArray(),
            _ => new[] { AsInt(node, key) },
        };
    }

    /// <summary>A number whether parsed from text or built in memory from an int, long or double.</summary>
    static double AsDouble(JsonValue value) =>
        value.TryGetValue(out double d) ? d
        : value.TryGetValue(out long l) ? l
        : value.TryGetValue(out int i) ? i
        : value.TryGetValue(out float f) ? f
        : double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    int AsInt(JsonNode node, string key)
    {
        if (node.GetValueKind() != JsonValueKind.Number) throw Error(key, $"must be a whole number, not {node.ToJsonString()}");
        double value = AsDouble((JsonValue)node);
        if (value != Math.Floor(value) || value < int.MinValue || value > int.MaxValue)
            throw Error(key, $"must be a whole number, not {node.ToJsonString()}");
        return (int)value;
    }
}
