using System.Text;
using PrefLab.Runtime;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>One CSV record: the 1-based line where it starts and its fields.</summary>
public sealed record CsvRow(long Line, IReadOnlyList<string> Fields);

/// <summary>
/// Reads CSV as RFC 4180 writes it (and pandas, and the MMLU release): comma-separated fields, fields in double
/// quotes may hold commas, line breaks and doubled quotes (""), CRLF or LF line ends, a UTF-8 BOM ignored. Blank
/// lines are skipped.
/// </summary>
public static class CsvRecords
{
    /// <summary>
    /// The records of a CSV file with a header row, as JSON objects keyed by the header's names (trimmed), so the
    /// JSON field readers serve CSV too. Empty cells are left out (read as absent). A record with a different
    /// number of fields than the header is an error row.
    /// </summary>
    public static IEnumerable<JsonRow> ReadWithHeader(string path)
    {
        var rows = Read(path);
        if (rows.Count == 0) yield break;
        var header = rows[0].Fields.Select(f => f.Trim()).ToList();
        for (int i = 1; i < rows.Count; i++)
        {
            var fields = rows[i].Fields;
            if (fields.Count != header.Count)
            {
                yield return new JsonRow(rows[i].Line, i - 1, null, $"has {fields.Count} fields, the header has {header.Count}");
                continue;
            }
            var record = new System.Text.Json.Nodes.JsonObject();
            for (int c = 0; c < header.Count; c++)
                if (fields[c].Length > 0 && header[c].Length > 0) record[header[c]] = fields[c];
            yield return new JsonRow(rows[i].Line, i - 1, record, null);
        }
    }

    public static IReadOnlyList<CsvRow> Read(string path)
    {
        string text = JsonRecords.ReadText(path);
        var rows = new List<CsvRow>();
        var fields = new List<string>();
        var field = new StringBuilder();
        long line = 1, recordLine = 1, quoteLine = 0;
        bool quoted = false, fieldWasQuoted = false, recordHasContent = false;
        int i = 0;
        if (text.Length > 0 && text[0] == '\uFEFF') i = 1;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else quoted = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0 && !fieldWasQuoted:
                    quoted = fieldWasQuoted = recordHasContent = true;
                    quoteLine = line;
                    break;
                case '"':
                    throw UserError.InFile(path, line, null, "a double quote inside an unquoted field (quote the whole field and double the quote)");
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldWasQuoted = false;
                    recordHasContent = true;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    if (fieldWasQuoted)
                        throw UserError.InFile(path, line, null, "text after a quoted field's closing quote");
                    field.Append(c);
                    recordHasContent = true;
                    break;
            }
        }
        if (quoted) throw UserError.InFile(path, quoteLine, null, "a quoted field is never closed");
        EndRecord();
        return rows;

        void EndRecord()
        {
            if (recordHasContent || field.Length > 0)
            {
                fields.Add(field.ToString());
                rows.Add(new CsvRow(recordLine, fields.ToArray()));
            }
            fields.Clear();
            field.Clear();
            fieldWasQuoted = false;
            recordHasContent = false;
        }
    }
}
