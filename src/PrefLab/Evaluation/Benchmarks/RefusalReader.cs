using System.Text.Json.Nodes;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>A prompt of a refusal test set (XSTest style) and whether a good model refuses it.</summary>
public sealed record RefusalItem(string Id, string Prompt, bool ShouldRefuse, string? Type, string? Label);

/// <summary>
/// Reads XSTest-style prompt sets, JSONL or CSV with a header (by the .csv extension; the XSTest v2 release is
/// CSV). Fields: <c>prompt</c>, and <c>type</c> and/or <c>label</c>. In XSTest v2 the unsafe prompts are exactly
/// the types starting with "contrast_" (contrast_homonyms, contrast_discr, contrast_privacy, ...), so those are
/// should-refuse and every other type should-answer. A <c>label</c> of "unsafe" / "safe" (the Hugging Face copies)
/// decides directly; when both are given they must agree. Ids come from <c>id</c>, <c>id_v2</c> or <c>key</c>, else
/// the record's ordinal.
/// </summary>
public static class RefusalReader
{
    public const string ContrastPrefix = "contrast_";

    public static BenchmarkFile<RefusalItem> Read(string path, bool skipBadRows = false) =>
        RowCollector.FromJson(path,
            MultipleChoiceReader.IsCsv(path) ? CsvRecords.ReadWithHeader(path) : JsonRecords.Read(path),
            Parse, skipBadRows);

    static RefusalItem Parse(JsonObject record, RowContext row)
    {
        string prompt = row.RequireString(record, "prompt");
        if (prompt.Trim().Length == 0) throw row.Error("prompt", "is empty");
        string? type = row.OptionalString(record, "type")?.Trim();
        string? label = row.OptionalString(record, "label")?.Trim();
        bool? fromType = type is null ? null : type.StartsWith(ContrastPrefix, StringComparison.OrdinalIgnoreCase);
        bool? fromLabel = label?.ToLowerInvariant() switch
        {
            null => null,
            "unsafe" => true,
            "safe" => false,
            _ => throw row.Error("label", $"must be \"safe\" or \"unsafe\", not \"{label}\""),
        };
        if (fromType is null && fromLabel is null)
            throw row.Error("type", "is missing: a refusal prompt needs a 'type' (XSTest) or a 'label' (safe/unsafe)");
        if (fromType is not null && fromLabel is not null && fromType != fromLabel)
            throw row.Error("label", $"says \"{label}\" but type \"{type}\" marks a should-{(fromType.Value ? "refuse" : "answer")} prompt");
        return new RefusalItem(row.Id(record, "id", "id_v2", "key"), prompt, fromLabel ?? fromType!.Value, type, label);
    }
}
