using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Text.Tokenization;

/// <summary>Typed reads from a parsed JSON file whose errors name the file and the field path.</summary>
internal sealed class JsonFields
{
    public JsonFields(string path) => Path = path;

    public string Path { get; }

    public UserError Error(string field, string what) => new($"{Path}: field '{field}': {what}");

    public static JsonNode Parse(string path, string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true })
                ?? throw new UserError($"{path}: the file holds JSON null, not an object");
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message.Split('.')[0]}");
        }
    }

    public static JsonDocument ParseDocument(string path, string text)
    {
        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message.Split('.')[0]}");
        }
    }

    public JsonObject Object(JsonNode? node, string field) =>
        node as JsonObject ?? throw Error(field, node is null ? "missing" : $"expected an object, found {Kind(node)}");

    public JsonArray Array(JsonNode? node, string field) =>
        node as JsonArray ?? throw Error(field, node is null ? "missing" : $"expected a list, found {Kind(node)}");

    public string String(JsonNode? node, string field)
    {
        if (node is JsonValue v && v.TryGetValue(out string? s)) return s;
        throw Error(field, node is null ? "missing" : $"expected a string, found {Kind(node)}");
    }

    public string? OptionalString(JsonObject parent, string key, string field)
    {
        var node = parent[key];
        return node is null ? null : String(node, field);
    }

    public bool Bool(JsonObject parent, string key, bool fallback, string field)
    {
        var node = parent[key];
        if (node is null) return fallback;
        if (node is JsonValue v && v.TryGetValue(out bool b)) return b;
        throw Error(field, $"expected true or false, found {Kind(node)}");
    }

    public int Int(JsonNode? node, string field)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue(out int i)) return i;
            if (v.TryGetValue(out long l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
            if (v.TryGetValue(out double d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue) return (int)d;
        }
        throw Error(field, node is null ? "missing" : $"expected a whole number, found {Kind(node)}");
    }

    public string TypeOf(JsonObject component, string field) => String(component["type"], field + ".type");

    public UserError Unsupported(string field, string type) =>
        new($"{Path}: field '{field}': component type '{type}' is not supported by PrefLab");

    static string Kind(JsonNode node) => node switch
    {
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"the string \"{Truncate(v.GetValue<string>())}\"",
        JsonValue v => v.ToJsonString(),
        _ => "something else",
    };

    static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
