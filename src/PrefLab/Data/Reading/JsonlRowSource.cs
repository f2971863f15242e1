using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using PrefLab.Data.Records;

namespace PrefLab.Data.Reading;

/// <summary>JSON Lines: one object a line; blank lines are ignored (and not counted as rows); line numbers are
/// 1-based as editors show them.</summary>
internal sealed class JsonlRowSource(string path) : RowSource(path)
{
    public override string Container => "jsonl";

    public override IEnumerable<Row> Rows()
    {
        using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        using Stream stream = Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        long lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return Parse(line, RowLocation.JsonlLine(Path, lineNumber));
        }
    }

    internal static Row Parse(string line, RowLocation location)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line);
            // Materialise the object now so a duplicate key fails here, as invalid JSON, not later in a reader.
            if (node is JsonObject obj) _ = obj.Count;
        }
        catch (JsonException e)
        {
            return Row.Invalid(location, new RowError(null, "invalid JSON", Describe(e)));
        }
        catch (ArgumentException e)
        {
            return Row.Invalid(location, new RowError(null, "invalid JSON", e.Message));
        }
        if (node is JsonObject fields) return Row.Of(fields, location);
        string hint = node is JsonArray && location.Line == 1 ? " (PrefLab reads JSON Lines: one object a line)" : "";
        return Row.Invalid(location, new RowError(null, "expected a JSON object", Json.Found(node) + hint));
    }

    /// <summary>System.Text.Json's message without its 0-based "LineNumber | BytePositionInLine" suffix, with
    /// the 1-based column instead.</summary>
    static string Describe(JsonException e)
    {
        string message = e.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        return e.BytePositionInLine is long column ? $"{message.TrimEnd()} (at byte {column + 1})" : message.TrimEnd();
    }
}
