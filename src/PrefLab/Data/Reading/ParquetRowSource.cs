using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Data.Records;
using PrefLab.Runtime;
using Parquet.Serialization;
using Parquet;

namespace PrefLab.Data.Reading;

/// <summary>
/// Parquet files as Hugging Face writes them (nested lists and structs: message lists as
/// <c>list&lt;struct&lt;role, content&gt;&gt;</c>, UltraFeedback's completions as a list of structs), read one row group
/// at a time with Parquet.Net's untyped deserializer and converted to the JSON shape JSONL rows have, so both
/// containers share every format reader. Null values become JSON nulls.
/// </summary>
internal sealed class ParquetRowSource : RowSource
{
    readonly IReadOnlyList<string> schemaFields;
    readonly int rowGroups;

    public ParquetRowSource(string path) : base(path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
            try
            {
                schemaFields = reader.Schema.Fields.Select(f => f.Name).ToArray();
                rowGroups = reader.RowGroupCount;
            }
            finally
            {
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception e) when (e is not UserError and not OutOfMemoryException)
        {
            throw new UserError($"{path}: not a readable Parquet file: {e.Message}", e);
        }
    }

    public override string Container => "parquet";
    public override IReadOnlyList<string> SchemaFields => schemaFields;

    public override IEnumerable<Row> Rows()
    {
        using var stream = File.OpenRead(Path);
        for (int group = 0; group < rowGroups; group++)
        {
            IList<Dictionary<string, object>> rows;
            try
            {
                rows = ParquetSerializer.DeserializeUntypedAsync(stream, null, group).GetAwaiter().GetResult().Data;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new UserError($"{Path}: row group {group}: cannot be read: {e.Message}", e);
            }
            for (int i = 0; i < rows.Count; i++)
                yield return Row.Of(ToJson(rows[i]), RowLocation.ParquetRow(Path, group, i));
        }
    }

    /// <summary>The row as the JSON object a JSONL line would parse to (NaN, which JSON lacks, becomes null;
    /// schema columns missing from the row are null).</summary>
    JsonObject ToJson(Dictionary<string, object> row)
    {
        var obj = new JsonObject();
        foreach (string name in schemaFields) obj[name] = ToNode(row.TryGetValue(name, out var value) ? value : null);
        return obj;
    }

    static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        sbyte or byte or short or ushort or int or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        uint or ulong => JsonValue.Create(Convert.ToUInt64(value, CultureInfo.InvariantCulture)),
        float f => float.IsFinite(f) ? JsonValue.Create((double)f) : null,
        double d => double.IsFinite(d) ? JsonValue.Create(d) : null,
        decimal m => JsonValue.Create(m),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        ReadOnlyMemory<char> chars => JsonValue.Create(chars.ToString()),
        DateTime time => JsonValue.Create(time.ToString("O", CultureInfo.InvariantCulture)),
        DateTimeOffset time => JsonValue.Create(time.ToString("O", CultureInfo.InvariantCulture)),
        IDictionary<string, object?> obj => new JsonObject(obj.Select(kv => KeyValuePair.Create(kv.Key, ToNode(kv.Value)))),
        IDictionary map => new JsonObject(map.Cast<DictionaryEntry>().Select(entry =>
            KeyValuePair.Create(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "", ToNode(entry.Value)))),
        IEnumerable list => new JsonArray(list.Cast<object?>().Select(ToNode).ToArray()),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };
}
