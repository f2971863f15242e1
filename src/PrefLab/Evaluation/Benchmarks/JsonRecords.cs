using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>
/// One record of a JSON-lines file or of a top-level JSON array: its 1-based line, its ordinal among the file's
/// records (0-based), and the object, or the reason it is not one.
/// </summary>
public sealed record JsonRow(long Line, int Ordinal, JsonObject? Record, string? Error);

/// <summary>
/// Reads JSON records from JSONL (one object a line; blank lines ignored) or from a file holding one JSON array of
/// objects (AlpacaEval's alpaca_eval.json), told apart by the first non-blank character.
/// </summary>
public static class JsonRecords
{
    public static IEnumerable<JsonRow> Read(string path)
    {
        string text = ReadText(path);
        return text.TrimStart().StartsWith('[') ? ReadArray(path, text) : ReadLines(text);
    }

    internal static string ReadText(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: file not found");
        return File.ReadAllText(path, Encoding.UTF8);
    }

    static IEnumerable<JsonRow> ReadLines(string text)
    {
        int ordinal = 0;
        long lineNumber = 0;
        using var reader = new StringReader(text);
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            string? error = null;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                node = null;
                error = "not valid JSON: " + FirstSentence(e.Message);
            }
            if (error is null && node is not JsonObject) error = $"expected a JSON object, found {Describe(node)}";
            yield return new JsonRow(lineNumber, ordinal++, node as JsonObject, error);
        }
    }

    static IEnumerable<JsonRow> ReadArray(string path, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var rows = new List<JsonRow>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        var lines = new LineCounter(bytes);
        try
        {
            reader.Read(); // the opening '['
            int ordinal = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                long line = lines.At(reader.TokenStartIndex);
                var node = JsonNode.Parse(ref reader);
                rows.Add(new JsonRow(line, ordinal++, node as JsonObject,
                    node is JsonObject ? null : $"expected a JSON object, found {Describe(node)}"));
            }
            if (reader.TokenType != JsonTokenType.EndArray) throw new UserError($"{path}: the JSON array is not closed");
            if (reader.Read()) throw UserError.InFile(path, lines.At(reader.TokenStartIndex), null, "unexpected content after the JSON array");
        }
        catch (JsonException e)
        {
            throw UserError.InFile(path, (e.LineNumber ?? 0) + 1, null, "not valid JSON: " + FirstSentence(e.Message));
        }
        return rows;
    }

    // 1-based line of a byte offset; offsets are asked in increasing order, so counting resumes where it stopped.
    sealed class LineCounter(byte[] bytes)
    {
        long offset, line = 1;

        public long At(long target)
        {
            for (; offset < target; offset++)
                if (bytes[offset] == (byte)'\n') line++;
            return line;
        }
    }

    static string Describe(JsonNode? node) => node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant();

    static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).TrimEnd();
    }
}
