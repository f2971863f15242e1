using PrefLab.Runtime;

namespace PrefLab.Data.Reading;

/// <summary>The rows of one data file, read lazily: each call of <see cref="Rows"/> opens the file again and
/// holds at most one line (JSONL) or one row group (Parquet) at a time, so files larger than memory stream.</summary>
internal abstract class RowSource
{
    protected RowSource(string path) => Path = path;

    public string Path { get; }

    /// <summary>"jsonl" or "parquet".</summary>
    public abstract string Container { get; }

    public abstract IEnumerable<Row> Rows();

    /// <summary>Field names known without reading rows (a Parquet schema's top-level columns); empty for JSONL.</summary>
    public virtual IReadOnlyList<string> SchemaFields => Array.Empty<string>();

    /// <summary>A Parquet file (by its "PAR1" magic bytes) or JSON Lines (plain, or gzip-compressed when the
    /// name ends in .gz).</summary>
    public static RowSource Open(string path)
    {
        if (Directory.Exists(path)) throw new UserError($"{path}: is a folder; give a .jsonl or .parquet file");
        if (!File.Exists(path)) throw new UserError($"{path}: file not found");
        return IsParquet(path) ? new ParquetRowSource(path) : new JsonlRowSource(path);
    }

    static bool IsParquet(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("PAR1"u8);
    }
}
