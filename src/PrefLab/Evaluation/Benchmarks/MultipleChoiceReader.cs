using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>A multiple-choice question (MMLU style): options in order, the index of the right one, the subject if known.</summary>
public sealed record MultipleChoiceItem(string Id, string Question, IReadOnlyList<string> Choices, int Answer, string? Subject);

/// <summary>
/// Reads MMLU-style multiple choice. JSONL (or a JSON array): <c>question</c>, <c>choices</c> (list of strings),
/// <c>answer</c> (0-based index, or a letter A, B, ...); optional <c>subject</c> and <c>id</c>. CSV (by the .csv
/// extension): with a header naming <c>question</c>, the option columns by letter (A, B, C, D, ...), <c>answer</c>
/// and optionally <c>subject</c>; or without a header, as in the original MMLU release: question, the options,
/// then the answer letter, the subject taken from the file name ("high_school_physics_test.csv" gives
/// "high school physics").
/// </summary>
public static class MultipleChoiceReader
{
    public static BenchmarkFile<MultipleChoiceItem> Read(string path, bool skipBadRows = false) =>
        IsCsv(path) ? ReadCsv(path, skipBadRows) : RowCollector.FromJson(path, JsonRecords.Read(path), ParseJson, skipBadRows);

    internal static bool IsCsv(string path) => path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    static MultipleChoiceItem ParseJson(JsonObject record, RowContext row)
    {
        string question = row.RequireString(record, "question");
        var choices = row.RequireStrings(record, "choices");
        if (choices.Count < 2) throw row.Error("choices", $"needs at least two options, has {choices.Count}");
        var answerNode = record["answer"] ?? throw row.Error("answer", "is missing");
        int answer = answerNode is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            ? (value.TryGetValue(out int index) ? index : throw row.Error("answer", $"must be a whole number or a letter, not {answerNode.ToJsonString()}"))
            : answerNode is JsonValue text && text.TryGetValue(out string? letter)
                ? AnswerIndex(letter, row, "answer")
                : throw row.Error("answer", $"must be an option index or letter, not {RowContext.Describe(answerNode)}");
        CheckRange(answer, choices.Count, row, "answer");
        return new MultipleChoiceItem(row.Id(record, "id"), question, choices, answer, row.OptionalString(record, "subject"));
    }

    static BenchmarkFile<MultipleChoiceItem> ReadCsv(string path, bool skipBadRows)
    {
        var rows = CsvRecords.Read(path);
        if (rows.Count > 0 && rows[0].Fields[0].Trim().Equals("question", StringComparison.OrdinalIgnoreCase))
        {
            var header = rows[0].Fields.Select(f => f.Trim()).ToList();
            int questionColumn = 0;
            int answerColumn = header.FindIndex(h => h.Equals("answer", StringComparison.OrdinalIgnoreCase));
            int subjectColumn = header.FindIndex(h => h.Equals("subject", StringComparison.OrdinalIgnoreCase));
            var choiceColumns = Enumerable.Range(0, header.Count).Where(i => header[i].Length == 1 && char.IsAsciiLetter(header[i][0])).ToList();
            if (answerColumn < 0) throw new RowContext(path, rows[0].Line, 0).Error(null, "the header has no 'answer' column");
            if (choiceColumns.Count < 2)
                throw new RowContext(path, rows[0].Line, 0).Error(null, "the header needs at least two option columns named by letter (A, B, ...)");
            var body = rows.Skip(1).ToList();
            return RowCollector.FromCsv(path, body, (csv, row) =>
            {
                if (csv.Fields.Count != header.Count) throw row.Error(null, $"has {csv.Fields.Count} fields, the header has {header.Count}");
                var choices = choiceColumns.Select(c => csv.Fields[c]).ToList();
                int answer = AnswerIndex(csv.Fields[answerColumn], row, header[answerColumn]);
                CheckRange(answer, choices.Count, row, header[answerColumn]);
                string? subject = subjectColumn >= 0 && csv.Fields[subjectColumn].Length > 0 ? csv.Fields[subjectColumn] : null;
                return new MultipleChoiceItem(row.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    csv.Fields[questionColumn], choices, answer, subject);
            }, skipBadRows);
        }
        string subjectFromName = SubjectFromFileName(path);
        return RowCollector.FromCsv(path, rows, (csv, row) =>
        {
            if (csv.Fields.Count < 4)
                throw row.Error(null, $"has {csv.Fields.Count} fields; a header-less MMLU row is question, two or more options, answer letter");
            var choices = csv.Fields.Skip(1).Take(csv.Fields.Count - 2).ToList();
            int answer = AnswerIndex(csv.Fields[^1], row, "answer");
            CheckRange(answer, choices.Count, row, "answer");
            return new MultipleChoiceItem(row.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture),
                csv.Fields[0], choices, answer, subjectFromName);
        }, skipBadRows);
    }

    /// <summary>"high_school_physics_test.csv" gives "high school physics" (split suffixes _test, _dev, _val dropped).</summary>
    public static string SubjectFromFileName(string path)
    {
        string name = System.IO.Path.GetFileNameWithoutExtension(path);
        foreach (string suffix in new[] { "_test", "_dev", "_val", "_validation", "_train" })
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) { name = name[..^suffix.Length]; break; }
        return name.Replace('_', ' ');
    }

    static int AnswerIndex(string text, RowContext row, string field)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 1 && char.IsAsciiLetter(trimmed[0])) return char.ToUpperInvariant(trimmed[0]) - 'A';
        if (int.TryParse(trimmed, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index)) return index;
        throw row.Error(field, $"must be an option letter (A, B, ...) or a 0-based index, not \"{text}\"");
    }

    static void CheckRange(int answer, int choices, RowContext row, string field)
    {
        if (answer < 0 || answer >= choices)
            throw row.Error(field, $"points at option {answer} (0-based) but there are {choices} options");
    }
}
