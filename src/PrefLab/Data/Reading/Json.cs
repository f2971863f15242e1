using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using PrefLab.Data.Records;

namespace PrefLab.Data.Reading;

/// <summary>Typed access to JSON values that throws <see cref="RowError"/>s naming the field's path.</summary>
internal static class Json
{
    /// <summary>"a string", "a number", "a list", ... for error messages.</summary>
    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "true/false",
            _ => "null",
        },
    };

    public static string Found(JsonNode? node) => "found " + Describe(node);

    public static string Join(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    /// <summary>The value of a field that must be present and not null.</summary>
    public static JsonNode Required(JsonObject obj, string name, string parentPath = "")
    {
        string path = Join(parentPath, name);
        if (!obj.TryGetPropertyValue(name, out var node)) throw new RowError(path, "missing");
        return node ?? throw new RowError(path, "is null");
    }

    /// <summary>The value of an optional field; null when absent or null.</summary>
    public static JsonNode? Optional(JsonObject obj, string name) => obj.TryGetPropertyValue(name, out var node) ? node : null;

    public static bool IsString(JsonNode? node) => node is JsonValue && node.GetValueKind() == JsonValueKind.String;

    public static string String(JsonNode node, string path) =>
        IsString(node) ? node.GetValue<string>() : throw new RowError(path, "expected a string", Found(node));

    public static double Number(JsonNode node, string path) =>
        IsNumber(node) ? ToDouble((JsonValue)node) : throw new RowError(path, "expected a number", Found(node));

    public static bool IsNumber(JsonNode? node) => node is JsonValue && node.GetValueKind() == JsonValueKind.Number;

    /// <summary>A number whether it was parsed (JSONL) or built from a CLR value of any numeric type (Parquet).</summary>
    static double ToDouble(JsonValue value)
    {
        if (value.TryGetValue<double>(out double d)) return d;
        if (value.TryGetValue<long>(out long l)) return l;
        if (value.TryGetValue<ulong>(out ulong u)) return u;
        if (value.TryGetValue<decimal>(out decimal m)) return (double)m;
        return double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    public static double? OptionalNumber(JsonObject obj, string name, string parentPath = "") =>
        Optional(obj, name) is { } node ? Number(node, Join(parentPath, name)) : null;

    public static JsonArray Array(JsonNode node, string path) =>
        node as JsonArray ?? throw new RowError(path, "expected a list", Found(node));

    public static JsonObject Object(JsonNode node, string path) =>
        node as JsonObject ?? throw new RowError(path, "expected an object", Found(node));

    /// <summary>A list of <c>{"role", "content"}</c> objects (other keys are ignored).</summary>
    public static IReadOnlyList<Message> Messages(JsonNode node, string path)
    {
        if (node is not JsonArray array) throw new RowError(path, "expected a list of messages", Found(node));
        if (array.Count == 0) throw new RowError(path, "empty list of messages");
        var messages = new Message[array.Count];
        for (int i = 0; i < array.Count; i++)
        {
            string item = $"{path}[{i}]";
            if (array[i] is not JsonObject message) throw new RowError(item, "expected a message {role, content}", Found(array[i]));
            string role = String(Required(message, "role", item), item + ".role");
            if (role.Length == 0) throw new RowError(item + ".role", "empty role");
            string content = String(Required(message, "content", item), item + ".content");
            messages[i] = new Message(role.ToLowerInvariant(), content);
        }
        return messages;
    }

    /// <summary>A string (one message with <paramref name="role"/>) or a list of messages.</summary>
    public static IReadOnlyList<Message> TextOrMessages(JsonNode node, string path, string role)
    {
        if (IsString(node)) return new[] { new Message(role, node.GetValue<string>()) };
        if (node is JsonArray) return Messages(node, path);
        throw new RowError(path, "expected a string or a list of messages", Found(node));
    }

    /// <summary>A metadata value as text: a string, a number's JSON text, or a list of strings joined by
    /// commas (Nectar's <c>source</c>).</summary>
    public static string? MetadataText(JsonNode? node, string path)
    {
        switch (node)
        {
            case null: return null;
            case JsonArray list:
                return string.Join(",", list.Select((item, i) => item is null ? null : String(item, $"{path}[{i}]")).Where(s => s is not null));
            case JsonValue when node.GetValueKind() == JsonValueKind.String: return node.GetValue<string>();
            case JsonValue when node.GetValueKind() == JsonValueKind.Number: return node.ToJsonString();
            default: throw new RowError(path, "expected a string or a number", Found(node));
        }
    }

    /// <summary>A rating that may be a number, a numeric string ("4"), or "N/A" (null).</summary>
    public static double? Rating(JsonNode node, string path)
    {
        if (IsNumber(node)) return Number(node, path);
        if (IsString(node))
        {
            string text = node.GetValue<string>().Trim();
            if (text.Equals("N/A", StringComparison.OrdinalIgnoreCase) || text.Length == 0) return null;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) return value;
            throw new RowError(path, "expected a number or \"N/A\"", $"found '{text}'");
        }
        throw new RowError(path, "expected a number or \"N/A\"", Found(node));
    }
}
