using PrefLab.Runtime;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>The benchmark file formats PrefLab reads.</summary>
public enum BenchmarkFormat
{
    /// <summary>question, answer ("... #### n").</summary>
    Gsm8k,

    /// <summary>question, choices, answer (JSONL) or question, A, B, C, D, answer (CSV).</summary>
    MultipleChoice,

    /// <summary>key, prompt, instruction_id_list, kwargs.</summary>
    IfEval,

    /// <summary>prompt with type and/or label (XSTest).</summary>
    Refusal,

    /// <summary>instruction, optional output and generator (AlpacaEval).</summary>
    AlpacaEval,
}

/// <summary>Tells a benchmark file's format from the fields of its first record.</summary>
public static class BenchmarkFormats
{
    public static BenchmarkFormat Detect(string path)
    {
        if (MultipleChoiceReader.IsCsv(path))
        {
            var rows = CsvRecords.Read(path);
            if (rows.Count == 0) throw new UserError($"{path}: the file is empty");
            var header = rows[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToHashSet();
            if (header.Contains("prompt") && (header.Contains("type") || header.Contains("label"))) return BenchmarkFormat.Refusal;
            if (header.Contains("question") && header.Contains("answer")) return BenchmarkFormat.MultipleChoice;
            string last = rows[0].Fields[^1].Trim();
            if (rows[0].Fields.Count >= 4 && last.Length == 1 && char.IsAsciiLetter(last[0])) return BenchmarkFormat.MultipleChoice;
            throw UserError.InFile(path, rows[0].Line, null,
                "not a recognised benchmark CSV: expected a header with prompt and type/label (XSTest), with question, A, B, ..., answer (MMLU), or header-less MMLU rows");
        }
        var first = JsonRecords.Read(path).FirstOrDefault() ?? throw new UserError($"{path}: the file holds no records");
        var record = first.Record ?? throw UserError.InFile(path, first.Line, null, first.Error ?? "not a JSON object");
        bool Has(string field) => record.ContainsKey(field);
        if (Has("instruction_id_list")) return BenchmarkFormat.IfEval;
        if (Has("choices")) return BenchmarkFormat.MultipleChoice;
        if (Has("question") && Has("answer")) return BenchmarkFormat.Gsm8k;
        if (Has("prompt") && (Has("type") || Has("label"))) return BenchmarkFormat.Refusal;
        if (Has("instruction")) return BenchmarkFormat.AlpacaEval;
        throw UserError.InFile(path, first.Line, null,
            $"not a recognised benchmark record (fields: {string.Join(", ", record.Select(p => p.Key))}); expected IFEval (instruction_id_list), " +
            "multiple choice (question, choices, answer), GSM8K (question, answer), XSTest (prompt, type/label) or AlpacaEval (instruction)");
    }
}
