using PrefLab.Evaluation.Harness;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Suites;

/// <summary>
/// A set of evaluation cases and the scorer of their responses. The harness asks the model what each case
/// requests (<see cref="Cases"/>), hands the responses back in the same order (<see cref="Score"/>), and asks for
/// the suite's secondary metrics per category (<see cref="Summarize"/>). A suite holds no model; one instance
/// serves every model of a run.
/// </summary>
public abstract class EvaluationSuite : IDisposable
{
    /// <summary>The suite's kind: world, gsm8k, mmlu, ifeval, xstest, alpaca_eval.</summary>
    public abstract string Name { get; }

    /// <summary>Where the items came from (a World folder or a file).</summary>
    public abstract string Source { get; }

    /// <summary>Every case, category by category, in file order (after <c>--limit</c>).</summary>
    public abstract IReadOnlyList<EvalCase> Cases { get; }

    /// <summary>What an item's score means (one line, for the table's legend and report.md).</summary>
    public abstract string Headline { get; }

    /// <summary>What the reader should know about this run of the suite (skipped rows, few-shot settings, ...).</summary>
    public virtual IReadOnlyList<string> Notes => [];

    /// <summary>Scores the responses, given in the order of <see cref="Cases"/>.</summary>
    public abstract IReadOnlyList<ItemOutcome> Score(IReadOnlyList<CaseResponse> responses);

    /// <summary>Secondary metrics of one model on one category, from its scored items (in case order).</summary>
    public virtual IReadOnlyList<MetricEstimate> Summarize(string category, IReadOnlyList<ItemResult> items, BootstrapOptions bootstrap) => [];

    /// <summary>The categories, in order of first appearance.</summary>
    public IReadOnlyList<string> Categories => Cases.Select(c => c.Category).Distinct(StringComparer.Ordinal).ToList();

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>The first <paramref name="limit"/> items of each category, in their order (all when null).</summary>
    protected static List<T> LimitPerCategory<T>(IEnumerable<T> items, Func<T, string> categoryOf, int? limit)
    {
        if (limit is null) return items.ToList();
        var taken = new Dictionary<string, int>(StringComparer.Ordinal);
        var kept = new List<T>();
        foreach (var item in items)
        {
            string category = categoryOf(item);
            int count = taken.GetValueOrDefault(category);
            if (count >= limit) continue;
            taken[category] = count + 1;
            kept.Add(item);
        }
        return kept;
    }

    /// <summary>The mean of a per-item metric over the items that have it, with its bootstrap interval; null when none has it.</summary>
    protected static MetricEstimate? MeanOf(string name, string description, IReadOnlyList<ItemResult> items, BootstrapOptions bootstrap,
        Func<ItemResult, bool>? where = null)
    {
        var values = items.Where(i => (where?.Invoke(i) ?? true) && i.Metrics.ContainsKey(name)).Select(i => i.Metrics[name]).ToList();
        return values.Count == 0 ? null : new MetricEstimate(name, description, Bootstrap.Mean(values, bootstrap));
    }
}

/// <summary>A suite whose items are scored one at a time, each from its own response.</summary>
public abstract class PerItemSuite<TItem> : EvaluationSuite
{
    List<EvalCase>? cases;

    /// <summary>The suite's items with their cases, in case order.</summary>
    protected abstract IReadOnlyList<(EvalCase Case, TItem Item)> Entries { get; }

    public override IReadOnlyList<EvalCase> Cases => cases ??= Entries.Select(e => e.Case).ToList();

    public override IReadOnlyList<ItemOutcome> Score(IReadOnlyList<CaseResponse> responses)
    {
        if (responses.Count != Entries.Count)
            throw new ArgumentException($"expected {Entries.Count} responses, got {responses.Count}", nameof(responses));
        return Entries.Select((entry, i) => Score(entry.Item, responses[i])).ToList();
    }

    protected abstract ItemOutcome Score(TItem item, CaseResponse response);
}
