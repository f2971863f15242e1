using PrefLab.Data.Records;
using PrefLab.Runtime;

namespace PrefLab.Data.Reading;

/// <summary>One enumeration of a file: its report, the bad-row policy, and the binarization generator
/// (restarted from the seed at every enumeration, so every pass yields the same pairs).</summary>
internal sealed class ReadContext
{
    public const string BinarizeStream = "data/binarize";

    public ReadContext(ReadReport report, ReadOptions options, bool promptsOnly = false)
    {
        Report = report;
        Options = options;
        PromptsOnly = promptsOnly;
        Random = Seeding.Stream(options.Binarize.Seed, BinarizeStream);
    }

    public ReadReport Report { get; }
    public ReadOptions Options { get; }
    public Random Random { get; }

    /// <summary>Reading for prompts only: every well-formed preference row (or response group) yields its
    /// prompt, whatever binarization, ties or identical completions would make of its pairs.</summary>
    public bool PromptsOnly { get; }

    /// <summary>Counts every row and passes on those that are JSON objects; the others are
    /// <see cref="Bad"/>.</summary>
    public IEnumerable<Row> ReadableRows(IEnumerable<Row> rows)
    {
        foreach (var row in rows)
        {
            Report.RowsRead++;
            if (row.Problem is { } problem) Bad(row.Location, problem);
            else yield return row;
        }
    }

    /// <summary>A malformed row: an error naming file, line and field, or a skip counted by reason.</summary>
    public void Bad(RowLocation location, RowError error)
    {
        if (!Options.SkipBadRows) throw location.Error(error.Field, error.What);
        Report.Skip(error.ReasonKey);
    }

    /// <summary>Runs <paramref name="parse"/> on a row; a <see cref="RowError"/> makes it <see cref="Bad"/>
    /// and the result false.</summary>
    public bool TryParse(Row row, Action parse)
    {
        try
        {
            parse();
            return true;
        }
        catch (RowError error)
        {
            Bad(row.Location, error);
            return false;
        }
    }

    /// <summary>A tie: counted and dropped, or, reading prompts only, the prompt passed on.</summary>
    public void Tie(PreferencePair prompt, List<PreferencePair> output)
    {
        if (PromptsOnly) output.Add(prompt);
        else Report.TiesDropped++;
    }

    /// <summary>A pair that cannot be made: counted and dropped, or, reading prompts only, the prompt passed on.</summary>
    public void DropPair(string reason, PreferencePair prompt, List<PreferencePair> output)
    {
        if (PromptsOnly) output.Add(prompt);
        else Report.Drop(reason);
    }

    public void Drop(string reason) => Report.Drop(reason);
    public void Note(string kind) => Report.Note(kind);
}
