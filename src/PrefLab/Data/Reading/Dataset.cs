using PrefLab.Data.Formats;
using PrefLab.Data.Records;
using PrefLab.Runtime;

namespace PrefLab.Data.Reading;

/// <summary>
/// A data file opened for reading: its format (given or detected) and options. Records are read lazily by
/// <see cref="Pairs"/>, <see cref="Unpaired"/>, <see cref="SftExamples"/>, <see cref="Texts"/>, <see cref="Prompts"/> or
/// <see cref="Records"/>, each a <see cref="RecordStream{T}"/> with its <see cref="ReadReport"/>.
/// </summary>
public sealed class Dataset
{
    readonly RowSource source;

    Dataset(RowSource source, DataFormat format, ReadOptions options)
    {
        this.source = source;
        Format = format;
        Options = options;
        Binarization = format.IsMultiResponse ? options.Binarize.Describe(format) : null;
    }

    /// <summary>Opens <paramref name="path"/> (JSONL, JSONL.gz or Parquet) and settles its format: the given
    /// one, or detected from the first row. Errors (missing file, unknown or ambiguous format, a binarization
    /// score the format lacks) are raised here, before any record is read.</summary>
    public static Dataset Open(string path, ReadOptions? options = null)
    {
        options ??= new ReadOptions();
        var source = RowSource.Open(path);
        var format = options.Format is { } name ? DataFormats.Get(name) : Detect(source, options);
        if (format.IsMultiResponse) format.ResolveScore(options.Binarize.Score);
        return new Dataset(source, format, options);
    }

    public string Path => source.Path;
    /// <summary>"jsonl" or "parquet".</summary>
    public string Container => source.Container;
    public DataFormat Format { get; }
    public RecordKind Kind => Format.Kind;
    public ReadOptions Options { get; }
    /// <summary>The binarization in use (multi-response formats), e.g. "best-random by mean-aspects, seed 0".</summary>
    public string? Binarization { get; }

    public RecordStream<PreferencePair> Pairs() => new(this, RecordKind.Pairs, context => Read<PreferencePair>(context, RecordKind.Pairs));
    public RecordStream<SftExample> SftExamples() => new(this, RecordKind.Sft, context => Read<SftExample>(context, RecordKind.Sft));
    public RecordStream<TextRecord> Texts() => new(this, RecordKind.Text, context => Read<TextRecord>(context, RecordKind.Text));

    /// <summary>Labelled completions (KTO's data): an <c>unpaired</c> file's rows, or any preference format's pairs,
    /// each split into its chosen completion (desirable) followed by its rejected one (undesirable), as TRL's
    /// <c>unpair_preference_dataset</c> does. The report counts examples; a pair format's drops (ties, identical
    /// completions, binarization) are counted as when reading pairs.</summary>
    public RecordStream<UnpairedExample> Unpaired()
    {
        if (Kind == RecordKind.Unpaired)
            return new(this, RecordKind.Unpaired, context => Read<UnpairedExample>(context, RecordKind.Unpaired));
        if (Kind != RecordKind.Pairs)
            throw new UserError($"{Path}: format {Format.Name} holds {ReadReport.Unit(Kind)}, not preference data (pairs, or unpaired prompt/completion/label rows)");
        return new(this, RecordKind.Unpaired, context => Unpair(Read<PreferencePair>(context, RecordKind.Pairs)));
    }

    static IEnumerable<UnpairedExample> Unpair(IEnumerable<PreferencePair> pairs)
    {
        foreach (var pair in pairs)
        {
            var (chosen, rejected) = UnpairedExample.FromPair(pair);
            yield return chosen;
            yield return rejected;
        }
    }

    /// <summary>The records of whatever kind the format yields.</summary>
    public RecordStream<DataRecord> Records() => new(this, Kind, ReadAny);

    /// <summary>Prompts from any format but text: a prompt set's prompts, the prompt of every preference row
    /// (or response group) whether or not it makes a pair (ties, identical completions and binarization
    /// play no part), an SFT conversation up to its last user turn (one without a user turn is dropped and
    /// counted). With
    /// <paramref name="distinct"/>, a prompt seen before (same messages) is dropped and counted; the first
    /// copy wins.</summary>
    public RecordStream<PromptRecord> Prompts(bool distinct = false)
    {
        if (Kind == RecordKind.Text)
            throw new UserError($"{Path}: pretraining text (format {Format.Name}) has no prompts");
        return new(this, RecordKind.Prompts, context => DistinctIf(distinct, ExtractPrompts(context), context), promptsOnly: true);
    }

    internal ReadReport NewReport(RecordKind kind) => new(Path, Format.Name, kind, kind is RecordKind.Pairs or RecordKind.Unpaired ? Binarization : null);

    IEnumerable<T> Read<T>(ReadContext context, RecordKind kind) where T : DataRecord
    {
        if (Format is not DataFormat<T> typed)
            throw new UserError($"{Path}: format {Format.Name} holds {ReadReport.Unit(Kind)}, not {ReadReport.Unit(kind)}");
        return typed.Read(source.Rows(), context);
    }

    IEnumerable<DataRecord> ReadAny(ReadContext context) => Format switch
    {
        DataFormat<PreferencePair> f => f.Read(source.Rows(), context),
        DataFormat<SftExample> f => f.Read(source.Rows(), context),
        DataFormat<TextRecord> f => f.Read(source.Rows(), context),
        DataFormat<PromptRecord> f => f.Read(source.Rows(), context),
        DataFormat<UnpairedExample> f => f.Read(source.Rows(), context),
        _ => throw new InvalidOperationException($"format {Format.Name} has no reader"),
    };

    IEnumerable<PromptRecord> ExtractPrompts(ReadContext context)
    {
        foreach (var record in ReadAny(context))
        {
            switch (record)
            {
                case PromptRecord prompt:
                    yield return prompt;
                    break;
                case PreferencePair pair:
                    yield return Carry(new PromptRecord(pair.Prompt), pair);
                    break;
                case UnpairedExample unpaired:
                    yield return Carry(new PromptRecord(unpaired.Prompt), unpaired);
                    break;
                case SftExample example:
                    var messages = MessageList.UpToLastUserTurn(example.Messages);
                    if (messages.Count == 0) context.Drop(Drops.NoUserTurn);
                    else yield return Carry(new PromptRecord(messages), example);
                    break;
            }
        }
    }

    static IEnumerable<PromptRecord> DistinctIf(bool distinct, IEnumerable<PromptRecord> prompts, ReadContext context)
    {
        if (!distinct) return prompts;
        var seen = new HashSet<UInt128>();
        return prompts.Where(prompt =>
        {
            if (seen.Add(ContentKey.Of(prompt.Messages))) return true;
            context.Drop(Drops.DuplicatePrompt);
            return false;
        });
    }

    static PromptRecord Carry(PromptRecord prompt, DataRecord from) =>
        prompt with { Id = from.Id, Source = from.Source, Category = from.Category, Subset = from.Subset, Origin = from.Origin };

    static DataFormat Detect(RowSource source, ReadOptions options)
    {
        // The first readable row decides; with skip-bad-rows, unreadable rows before it are passed over here
        // (the reading pass counts them), otherwise the first one is the error it would be anyway.
        foreach (var row in source.Rows())
        {
            if (row.Problem is { } problem)
            {
                if (options.SkipBadRows) continue;
                throw row.Location.Error(problem.Field, problem.What);
            }
            var fields = source.SchemaFields.Count > 0
                ? source.SchemaFields
                : row.Fields.Select(kv => kv.Key).ToList();
            return DataFormats.Detect(fields, row.Fields, source.Path);
        }
        throw new UserError($"{source.Path}: no rows to tell the format from; name it with --format");
    }
}

/// <summary>Entry points: open a file and read one kind of record from it.</summary>
public static class DatasetReader
{
    public static Dataset Open(string path, ReadOptions? options = null) => Dataset.Open(path, options);
    public static RecordStream<PreferencePair> ReadPairs(string path, ReadOptions? options = null) => Dataset.Open(path, options).Pairs();
    public static RecordStream<UnpairedExample> ReadUnpaired(string path, ReadOptions? options = null) => Dataset.Open(path, options).Unpaired();
    public static RecordStream<SftExample> ReadSft(string path, ReadOptions? options = null) => Dataset.Open(path, options).SftExamples();
    public static RecordStream<TextRecord> ReadText(string path, ReadOptions? options = null) => Dataset.Open(path, options).Texts();
    public static RecordStream<PromptRecord> ReadPrompts(string path, ReadOptions? options = null, bool distinct = false) =>
        Dataset.Open(path, options).Prompts(distinct);
}
