using System.Collections;
using PrefLab.Data.Records;

namespace PrefLab.Data.Reading;

/// <summary>
/// The records of one file, read lazily: every enumeration opens the file again, streams it, and fills a new
/// <see cref="Report"/> (complete once the enumeration ends). Enumerating twice gives the same records.
/// </summary>
public sealed class RecordStream<T> : IEnumerable<T> where T : DataRecord
{
    readonly Func<ReadContext, IEnumerable<T>> produce;
    readonly RecordKind kind;
    readonly bool promptsOnly;

    internal RecordStream(Dataset dataset, RecordKind kind, Func<ReadContext, IEnumerable<T>> produce, bool promptsOnly = false)
    {
        Dataset = dataset;
        this.kind = kind;
        this.produce = produce;
        this.promptsOnly = promptsOnly;
        Report = dataset.NewReport(kind);
    }

    public Dataset Dataset { get; }

    /// <summary>The report of the latest enumeration (empty before the first).</summary>
    public ReadReport Report { get; private set; }

    public IEnumerator<T> GetEnumerator()
    {
        var report = Dataset.NewReport(kind);
        Report = report;
        return Enumerate(new ReadContext(report, Dataset.Options, promptsOnly));
    }

    IEnumerator<T> Enumerate(ReadContext context)
    {
        foreach (var record in produce(context))
        {
            context.Report.Produced++;
            yield return record;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
