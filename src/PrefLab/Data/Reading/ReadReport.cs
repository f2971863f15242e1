using System.Globalization;
using System.Text.Json.Nodes;
using System.Text;
using PrefLab.Data.Records;

namespace PrefLab.Data.Reading;

/// <summary>
/// What one pass over a data file did: rows read, records produced, ties dropped, well-formed input that
/// yielded nothing (by reason), malformed rows skipped (by reason, only with skip-bad-rows), and notes.
/// Filled while the records are enumerated; complete when the enumeration ends. Trainers write
/// <see cref="ToJson"/> into run.json.
/// </summary>
public sealed class ReadReport
{
    readonly Dictionary<string, long> skipped = new(StringComparer.Ordinal);
    readonly Dictionary<string, long> dropped = new(StringComparer.Ordinal);
    readonly Dictionary<string, long> notes = new(StringComparer.Ordinal);

    public ReadReport(string file, string format, RecordKind kind, string? binarization = null)
    {
        File = file;
        Format = format;
        Kind = kind;
        Binarization = binarization;
    }

    public string File { get; }
    public string Format { get; }
    /// <summary>What <see cref="Produced"/> counts.</summary>
    public RecordKind Kind { get; }
    /// <summary>The binarization used (strategy and score), for multi-response formats; else null.</summary>
    public string? Binarization { get; }

    /// <summary>Rows read from the file (JSONL: non-blank lines; Parquet: rows), malformed ones included.</summary>
    public long RowsRead { get; internal set; }
    /// <summary>Records handed to the caller: pairs, examples, texts or prompts (<see cref="Kind"/>).</summary>
    public long Produced { get; internal set; }
    /// <summary>Pairs not made because both sides scored the same (or an arena battle was a tie).</summary>
    public long TiesDropped { get; internal set; }
    /// <summary>Malformed rows skipped (only with skip-bad-rows; otherwise the first one is an error), by reason.</summary>
    public IReadOnlyDictionary<string, long> Skipped => skipped;
    /// <summary>Well-formed input that produced nothing, by reason (e.g. "chosen and rejected identical").</summary>
    public IReadOnlyDictionary<string, long> Dropped => dropped;
    /// <summary>Things worth knowing that dropped nothing, by kind.</summary>
    public IReadOnlyDictionary<string, long> Notes => notes;

    public long SkippedTotal => skipped.Values.Sum();
    public long DroppedTotal => dropped.Values.Sum();

    internal void Skip(string reason) => Add(skipped, reason);
    internal void Drop(string reason) => Add(dropped, reason);
    internal void Note(string kind) => Add(notes, kind);

    static void Add(Dictionary<string, long> counts, string key) =>
        counts[key] = counts.TryGetValue(key, out long n) ? n + 1 : 1;

    /// <summary>The unit <see cref="Produced"/> counts, plural: "pairs", "examples" (SFT and unpaired), "texts", "prompts".</summary>
    public static string Unit(RecordKind kind) => kind switch
    {
        RecordKind.Pairs => "pairs",
        RecordKind.Sft => "examples",
        RecordKind.Text => "texts",
        RecordKind.Unpaired => "examples",
        _ => "prompts",
    };

    public JsonObject ToJson()
    {
        var obj = new JsonObject
        {
            ["file"] = File,
            ["format"] = Format,
            ["rows"] = RowsRead,
            [Unit(Kind)] = Produced,
            ["ties_dropped"] = TiesDropped,
            ["skipped"] = Counts(skipped),
            ["dropped"] = Counts(dropped),
        };
        if (notes.Count > 0) obj["notes"] = Counts(notes);
        if (Binarization is not null) obj["binarization"] = Binarization;
        return obj;
    }

    static JsonObject Counts(Dictionary<string, long> counts)
    {
        var obj = new JsonObject();
        foreach (var (key, n) in counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)) obj[key] = n;
        return obj;
    }

    /// <summary>One line: "FILE (FORMAT): R rows -> N pairs; T ties dropped; S rows skipped (reason: n, ...)".</summary>
    public override string ToString()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{File} ({Format}): {RowsRead} rows -> {Produced} {Unit(Kind)}");
        if (Binarization is not null) text.Append(CultureInfo.InvariantCulture, $" ({Binarization})");
        if (TiesDropped > 0) text.Append(CultureInfo.InvariantCulture, $"; {TiesDropped} ties dropped");
        if (dropped.Count > 0) text.Append(CultureInfo.InvariantCulture, $"; dropped {Describe(dropped)}");
        if (skipped.Count > 0) text.Append(CultureInfo.InvariantCulture, $"; {SkippedTotal} rows skipped ({Describe(skipped)})");
        if (notes.Count > 0) text.Append(CultureInfo.InvariantCulture, $"; notes: {Describe(notes)}");
        return text.ToString();
    }

    static string Describe(Dictionary<string, long> counts) =>
        string.Join(", ", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}"));
}
