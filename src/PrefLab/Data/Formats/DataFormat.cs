using System.Text.Json.Nodes;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Runtime;

namespace PrefLab.Data.Formats;

/// <summary>A data file format (DESIGN.md's table): its name, what it yields, and the fields that identify it.</summary>
public abstract class DataFormat
{
    public abstract string Name { get; }
    public abstract RecordKind Kind { get; }

    /// <summary>Field sets that identify the format: a first row holding every field of one set fits it.</summary>
    public abstract IReadOnlyList<string[]> Signatures { get; }

    /// <summary>The scores a multi-response format can binarize by; empty for formats with one pair a row.</summary>
    public virtual IReadOnlyList<string> ScoreNames => Array.Empty<string>();

    /// <summary>The score used when <see cref="BinarizeOptions.Score"/> is null.</summary>
    public virtual string? DefaultScore => null;

    public bool IsMultiResponse => ScoreNames.Count > 0;

    /// <summary>Whether a first row whose fields fit a signature is really this format (settles formats with
    /// the same fields by the values' shape: an hh transcript is a string, a conversational pair a list).</summary>
    internal virtual bool Claims(JsonObject firstRow) => true;

    /// <summary>Detection prefers preference formats (pairs and labelled completions), then SFT/text, then prompt sets: a file with
    /// chosen/rejected fields is preference data even if it also carries <c>messages</c>.</summary>
    internal int Tier => Kind switch { RecordKind.Pairs or RecordKind.Unpaired => 0, RecordKind.Prompts => 2, _ => 1 };

    /// <summary>"prompt+chosen+rejected | chosen+rejected".</summary>
    public string SignatureText => string.Join(" | ", Signatures.Select(s => string.Join("+", s)));

    /// <summary>The score name to binarize by: <paramref name="requested"/> or the default; an error naming
    /// the format's scores when it has no such score.</summary>
    public string ResolveScore(string? requested)
    {
        if (!IsMultiResponse)
            throw new UserError($"format {Name} has one pair a row: binarization applies only to {string.Join(", ", DataFormats.All.Where(f => f.IsMultiResponse).Select(f => f.Name))}");
        if (requested is null) return DefaultScore!;
        string? match = ScoreNames.FirstOrDefault(s => s.Equals(requested, StringComparison.OrdinalIgnoreCase));
        return match ?? throw new UserError($"format {Name} has no score '{requested}'; its scores: {string.Join(", ", ScoreNames)}");
    }

    public override string ToString() => Name;
}

/// <summary>A format whose rows become records of type <typeparamref name="T"/>.</summary>
internal abstract class DataFormat<T> : DataFormat where T : DataRecord
{
    /// <summary>Reads the records of <paramref name="rows"/>; a row that fails to parse is an error or a counted
    /// skip, and contributes nothing.</summary>
    internal abstract IEnumerable<T> Read(IEnumerable<Row> rows, ReadContext context);
}

/// <summary>A format that reads each row on its own (most of them): <see cref="Parse"/> turns one row into records.</summary>
internal abstract class RowFormat<T> : DataFormat<T> where T : DataRecord
{
    internal sealed override IEnumerable<T> Read(IEnumerable<Row> rows, ReadContext context)
    {
        var output = new List<T>();
        foreach (var row in context.ReadableRows(rows))
        {
            output.Clear();
            if (!context.TryParse(row, () => Parse(row, context, output))) continue;
            foreach (var record in output) yield return record;
        }
    }

    /// <summary>Parses one row into <paramref name="output"/>; throws <see cref="RowError"/> for a malformed
    /// row before counting anything in the report.</summary>
    internal abstract void Parse(Row row, ReadContext context, List<T> output);
}

/// <summary>
/// A format whose records come from groups of consecutive rows with the same key (HelpSteer: a prompt's responses,
/// one a row). Rows are read as a stream and a group's records are yielded when the next key starts, so a file is
/// never held whole. A key that reappears after other keys starts a new group and is noted in the read report.
/// </summary>
/// <typeparam name="TItem">What one row contributes to its group.</typeparam>
internal abstract class GroupedFormat<T, TItem> : DataFormat<T> where T : DataRecord
{
    /// <summary>One row's group key and item; throws <see cref="RowError"/> for a malformed row.</summary>
    protected abstract (string Key, TItem Item) ParseRow(Row row, ReadContext context);

    /// <summary>The record template of a group, from its first row (metadata such as id and category).</summary>
    protected abstract T Template(string key, Row first);

    /// <summary>Adds the records of one finished group to <paramref name="output"/>.</summary>
    protected abstract void Emit(T template, IReadOnlyList<TItem> items, ReadContext context, List<T> output);

    /// <summary>The read report's note when a key reappears after other keys.</summary>
    protected abstract string ReappearsNote { get; }

    /// <summary>Checks the read options before the first row (an unknown score name fails even for an empty file).</summary>
    protected virtual void Begin(ReadContext context) { }

    internal sealed override IEnumerable<T> Read(IEnumerable<Row> rows, ReadContext context)
    {
        Begin(context);
        var seen = new HashSet<UInt128>();
        var output = new List<T>();
        var items = new List<TItem>();
        string? key = null;
        T? template = null;
        foreach (var row in context.ReadableRows(rows))
        {
            (string Key, TItem Item)? parsed = null;
            if (!context.TryParse(row, () => parsed = ParseRow(row, context))) continue;
            var (rowKey, item) = parsed!.Value;
            if (key is null || key != rowKey)
            {
                if (template is not null) Emit(template, items, context, output);
                foreach (var record in output) yield return record;
                output.Clear();
                items = [];
                if (!seen.Add(ContentKey.Of(rowKey))) context.Note(ReappearsNote);
                key = rowKey;
                template = Template(rowKey, row);
            }
            items.Add(item);
        }
        if (template is not null) Emit(template, items, context, output);
        foreach (var record in output) yield return record;
    }
}

/// <summary>The metadata fields every reader keeps: <c>id</c> (or the format's own id field), <c>source</c>,
/// <c>category</c>, <c>subset</c> (or SHP's <c>domain</c>), and the row's location.</summary>
internal static class RowMetadata
{
    static readonly string[] IdFields = ["id", "prompt_id", "question_id", "post_id"];
    static readonly string[] SubsetFields = ["subset", "domain"];

    public static T Apply<T>(T record, Row row) where T : DataRecord =>
        (T)((DataRecord)record with
        {
            Id = First(row, IdFields),
            Source = Json.MetadataText(row.Optional("source"), "source"),
            Category = Json.MetadataText(row.Optional("category"), "category"),
            Subset = First(row, SubsetFields),
            Origin = row.Location,
        });

    static string? First(Row row, string[] names)
    {
        foreach (string name in names)
            if (row.Optional(name) is { } node) return Json.MetadataText(node, name);
        return null;
    }
}
