namespace PrefLab.Data.Records;

/// <summary>What every record carries besides its content: the row's own <c>id</c>, <c>source</c>,
/// <c>category</c> and <c>subset</c> fields when it has them (per-subset evaluation needs them), and where it
/// was read from.</summary>
public abstract record DataRecord
{
    public string? Id { get; init; }
    /// <summary>The dataset or origin the row names (e.g. UltraFeedback's "evol_instruct").</summary>
    public string? Source { get; init; }
    public string? Category { get; init; }
    public string? Subset { get; init; }
    /// <summary>File and line (or row group and row) the record was read from; null for records built in code.</summary>
    public RowLocation? Origin { get; init; }
}
