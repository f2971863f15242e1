using PrefLab.Data.Records;
using PrefLab.Data.Writing;
using Parquet.Schema;
using Parquet.Serialization;
using Parquet;
using Xunit;

namespace PrefLab.Tests.Data;

/// <summary>Fixture files for data tests and the expected forms of what they yield.</summary>
public static class DataFiles
{
    /// <summary>Writes JSONL lines exactly as given (each a line).</summary>
    public static string Jsonl(TempDir dir, string name, params string[] lines)
    {
        string path = dir.File(name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    /// <summary>Writes rows with Parquet.Net's untyped serializer (nested lists and structs as Hugging Face
    /// files hold them), <paramref name="rowGroupSize"/> rows a row group.</summary>
    public static string ParquetFile(TempDir dir, string name, ParquetSchema schema, IReadOnlyCollection<IDictionary<string, object?>> rows, int? rowGroupSize = null)
    {
        string path = dir.File(name);
        using var stream = File.Create(path);
        var options = new ParquetOptions();
        if (rowGroupSize is int size) options.RowGroupSize = size;
        ParquetSerializer.SerializeUntypedAsync(rows!, schema, stream, options).GetAwaiter().GetResult();
        return path;
    }

    /// <summary>A <c>list&lt;struct&lt;role, content&gt;&gt;</c> field, as HF message lists are stored.</summary>
    public static ListField MessageListField(string name) =>
        new(name, new StructField("element", new DataField<string>("role"), new DataField<string>("content")));

    public static List<Dictionary<string, object?>> MessageRows(params (string Role, string Content)[] messages) =>
        messages.Select(m => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList();

    /// <summary>Records as the JSONL lines PrefLab writes: the exact expected output of a reader.</summary>
    public static string[] Lines(IEnumerable<DataRecord> records) => records.Select(RecordJson.Line).ToArray();

    public static string[] Origins(IEnumerable<DataRecord> records) => records.Select(r => r.Origin?.ToString() ?? "none").ToArray();

    /// <summary>The one-line error a read throws.</summary>
    public static string ErrorOf(Action read) => Assert.Throws<PrefLab.Runtime.UserError>(read).Message;
}
