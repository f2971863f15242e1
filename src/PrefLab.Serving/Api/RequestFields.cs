using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrefLab.Serving.Api;

/// <summary>
/// Typed reads of a request's JSON fields. A wrong type or value is an <see cref="ApiError"/> (400) naming the
/// field, as OpenAI's API names its <c>param</c>; an absent or null field gives the default.
/// </summary>
public sealed class RequestFields(JsonObject body)
{
    public JsonObject Body { get; } = body;

    /// <summary>Parses a request body: a JSON object, else 400.</summary>
    public static RequestFields Parse(ReadOnlySpan<byte> utf8)
    {
        JsonNode? node;
        try
        {
            // Duplicate names are refused while parsing: a JsonObject would otherwise throw when first read (a 500).
            node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw ApiError.InvalidJson(e.Message);
        }
        return node is JsonObject body ? new RequestFields(body)
            : throw ApiError.InvalidJson($"the body must be a JSON object, not {Kind(node)}");
    }

    public bool Has(string name) => Body[name] is not null;

    public string RequiredString(string name) =>
        OptionalString(name) ?? throw ApiError.BadField(name, $"'{name}' is a required property", "missing_required_parameter");

    public string? OptionalString(string name) => Body[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw WrongType(name, "a string", other),
    };

    public bool Bool(string name, bool fallback) => Body[name] switch
    {
        null => fallback,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw WrongType(name, "a boolean", other),
    };

    public double? Number(string name, double min, double max)
    {
        if (Body[name] is null) return null;
        if (Body[name] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) throw WrongType(name, "a number", Body[name]);
        double x = v.GetValue<double>();
        if (!(x >= min && x <= max)) throw ApiError.BadField(name, $"'{name}' must be between {min} and {max}, not {x}");
        return x;
    }

    public int? Integer(string name, long min, long max) => Integer(Body[name], name, min, max);

    public static int? Integer(JsonNode? node, string name, long min, long max)
    {
        if (node is null) return null;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<long>(out long x))
        {
            if (node is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue<double>(out double f) && f == Math.Floor(f) && Math.Abs(f) < 1e15)
                x = (long)f;
            else throw WrongType(name, "an integer", node);
        }
        if (x < min || x > max) throw ApiError.BadField(name, $"'{name}' must be between {min} and {max}, not {x}");
        return (int)x;
    }

    /// <summary>A string or a list of strings (OpenAI's <c>stop</c>), at most <paramref name="most"/>.</summary>
    public IReadOnlyList<string> Strings(string name, int most)
    {
        var node = Body[name];
        if (node is null) return Array.Empty<string>();
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return NonEmpty(name, [v.GetValue<string>()]);
        if (node is not JsonArray list) throw WrongType(name, "a string or an array of strings", node);
        if (list.Count > most) throw ApiError.BadField(name, $"'{name}' may hold at most {most} strings, not {list.Count}");
        var strings = new List<string>(list.Count);
        for (int i = 0; i < list.Count; i++)
            strings.Add(list[i] is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>()
                : throw WrongType($"{name}[{i}]", "a string", list[i]));
        return NonEmpty(name, strings);
    }

    static IReadOnlyList<string> NonEmpty(string name, IReadOnlyList<string> strings) =>
        strings.Any(string.IsNullOrEmpty) ? throw ApiError.BadField(name, $"'{name}' must not hold an empty string") : strings;

    /// <summary>Refuses a field this server does not implement when it asks for anything but the neutral value.</summary>
    public void Unsupported(string name, Func<JsonNode, bool> isNeutral, string what)
    {
        if (Body[name] is JsonNode node && !isNeutral(node))
            throw ApiError.BadField(name, $"'{name}' is not supported by this server ({what})", "unsupported_parameter");
    }

    public static ApiError WrongType(string name, string expected, JsonNode? got) =>
        ApiError.BadField(name, $"'{name}' must be {expected}, not {Kind(got)}", "invalid_type");

    public static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        },
        _ => "a value",
    };
}
