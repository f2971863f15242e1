using PrefLab.Runtime;

namespace PrefLab.Data.Records;

/// <summary>Where a record came from: a JSONL file's line (1-based), or a Parquet file's row group and row
/// within it (both 0-based, as Parquet tools count).</summary>
public readonly record struct RowLocation(string File, long Line, int RowGroup = -1)
{
    public static RowLocation JsonlLine(string file, long line) => new(file, line);
    public static RowLocation ParquetRow(string file, int rowGroup, long row) => new(file, row, rowGroup);

    public bool IsParquet => RowGroup >= 0;

    /// <summary>The row index within its row group (Parquet only).</summary>
    public long Row => Line;

    /// <summary>"FILE:LINE" or "FILE: row group G, row R".</summary>
    public override string ToString() => IsParquet ? $"{File}: row group {RowGroup}, row {Line}" : $"{File}:{Line}";

    /// <summary>The user error for a problem at this row: "FILE:LINE: field 'F': what" (Parquet: "FILE: row
    /// group G, row R: field 'F': what").</summary>
    public UserError Error(string? field, string what) =>
        IsParquet
            ? new UserError(field is null ? $"{this}: {what}" : $"{this}: field '{field}': {what}")
            : UserError.InFile(File, Line, field, what);
}
