namespace PrefLab.Evaluation.Benchmarks;

/// <summary>A row left out because it was malformed (only when the caller asked to skip bad rows).</summary>
public sealed record SkippedRow(long Line, string Reason);

/// <summary>
/// What a benchmark reader read: the items, how many rows the file held, and the rows skipped and why
/// (empty unless bad rows were skipped rather than refused).
/// </summary>
public sealed record BenchmarkFile<T>(string Path, IReadOnlyList<T> Items, int Rows, IReadOnlyList<SkippedRow> Skipped);
