using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>Where a record sits (file, line, ordinal), with typed field access whose errors name all three.</summary>
public readonly record struct RowContext(string Path, long Line, int Ordinal)
{
    public UserError Error(string? field, string what) => UserError.InFile(Path, Line, field, what);

    /// <summary>A required string field.</summary>
    public string RequireString(JsonObject record, string field) =>
        OptionalString(record, field) ?? throw Error(field, "is missing");

    /// <summary>A string field that may be absent or null; any other type is an error.</summary>
    public string? OptionalString(JsonObject record, string field)
    {
        var node = record[field];
        if (node is null) return null;
        return node is JsonValue value && value.TryGetValue(out string? text)
            ? text
            : throw Error(field, $"must be a string, not {Describe(node)}");
    }

    /// <summary>The record's id: the first of the given fields present (string or number), else its ordinal in the file.</summary>
    public string Id(JsonObject record, params string[] fields)
    {
        foreach (string field in fields)
        {
            var node = record[field];
            if (node is null) continue;
            if (node is JsonValue value && (value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number))
                return value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
            throw Error(field, $"must be a string or a number, not {Describe(node)}");
        }
        return Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A required list of strings.</summary>
    public IReadOnlyList<string> RequireStrings(JsonObject record, string field)
    {
        var node = record[field] ?? throw Error(field, "is missing");
        if (node is not JsonArray array) throw Error(field, $"must be a list of strings, not {Describe(node)}");
        var texts = new List<string>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue value && value.TryGetValue(out string? text)) texts.Add(text);
            else throw Error($"{field}[{i}]", $"must be a string, not {Describe(array[i])}");
        }
        return texts;
    }

    public static string Describe(JsonNode? node) => node is null ? "null" : node.GetValueKind() switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {node.ToJsonString()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {node.ToJsonString()}",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => node.ToJsonString(),
    };
}

/// <summary>Turns rows into items, refusing the first bad row or skipping bad rows with their reasons.</summary>
internal static class RowCollector
{
    public static BenchmarkFile<T> FromJson<T>(string path, IEnumerable<JsonRow> rows, Func<JsonObject, RowContext, T> parse, bool skipBadRows)
    {
        var items = new List<T>();
        var skipped = new List<SkippedRow>();
        int count = 0;
        foreach (var row in rows)
        {
            count++;
            var context = new RowContext(path, row.Line, row.Ordinal);
            try
            {
                if (row.Record is null) throw context.Error(null, row.Error ?? "not a JSON object");
                items.Add(parse(row.Record, context));
            }
            catch (UserError e) when (skipBadRows)
            {
                skipped.Add(new SkippedRow(row.Line, e.Message));
            }
        }
        return new BenchmarkFile<T>(path, items, count, skipped);
    }

    public static BenchmarkFile<T> FromCsv<T>(string path, IReadOnlyList<CsvRow> rows, Func<CsvRow, RowContext, T> parse, bool skipBadRows)
    {
        var items = new List<T>();
        var skipped = new List<SkippedRow>();
        for (int i = 0; i < rows.Count; i++)
        {
            var context = new RowContext(path, rows[i].Line, i);
            try
            {
                items.Add(parse(rows[i], context));
            }
            catch (UserError e) when (skipBadRows)
            {
                skipped.Add(new SkippedRow(rows[i].Line, e.Message));
            }
        }
        return new BenchmarkFile<T>(path, items, rows.Count, skipped);
    }
}
