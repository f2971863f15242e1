using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrefLab.Text.Jinja;

/// <summary>Template values from JSON, and the tojson filter (Python's json.dumps with ensure_ascii=False, as
/// transformers configures it).</summary>
public static class JsonValues
{
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => FromJson(kv.Value)),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.ToJsonString() is var text && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)
                ? (object)l : double.Parse(text, CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => null,
    };

    public static string ToJson(object? value, int? indent = null, string? itemSeparator = null, string? keySeparator = null, bool sortKeys = false)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, itemSeparator ?? (indent is null ? ", " : ","), keySeparator ?? ": ", sortKeys, 0);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, object? value, int? indent, string item, string key, bool sort, int depth)
    {
        switch (value)
        {
            case null or Undefined:
                sb.Append("null");
                return;
            case bool b:
                sb.Append(b ? "true" : "false");
                return;
            case long or double:
                sb.Append(Values.Str(value) switch { "nan" => "NaN", "inf" => "Infinity", "-inf" => "-Infinity", var s => s });
                return;
            case string s:
                WriteString(sb, s);
                return;
            case List<object?> list:
                Container(sb, '[', ']', list.Count, indent, item, depth, i => Write(sb, list[i], indent, item, key, sort, depth + 1));
                return;
            case Dictionary<string, object?> or Namespace:
                var dict = value as Dictionary<string, object?> ?? ((Namespace)value).Values;
                var entries = sort ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                Container(sb, '{', '}', entries.Count, indent, item, depth, i =>
                {
                    WriteString(sb, entries[i].Key);
                    sb.Append(key);
                    Write(sb, entries[i].Value, indent, item, key, sort, depth + 1);
                });
                return;
            default:
                throw new CallError($"tojson: {Values.TypeName(value)} is not JSON serializable");
        }
    }

    static void Container(StringBuilder sb, char open, char close, int count, int? indent, string item, int depth, Action<int> writeItem)
    {
        sb.Append(open);
        if (count == 0)
        {
            sb.Append(close);
            return;
        }
        string? inner = indent is int n ? "\n" + new string(' ', n * (depth + 1)) : null;
        for (int i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(item);
            if (inner is not null) sb.Append(inner);
            writeItem(i);
        }
        if (indent is int m) sb.Append('\n').Append(' ', m * depth);
        sb.Append(close);
    }

    static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
