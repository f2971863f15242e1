using System.Globalization;
using Microsoft.Data.Sqlite;
using PrefLab.Runtime;

namespace PrefLab.Lab.Store;

/// <summary>
/// The lab's results store: one SQLite file (<c>LAB/results.sqlite</c>) holding grids, runs and their resolved
/// settings, node status and timings, training metrics, evaluation scores per item, reward-model evaluations and
/// best-of-N results, for every grid run in the lab folder (<see cref="StoreSchema"/>). Every change is one
/// transaction. Not thread-safe: one <see cref="LabStore"/> per thread.
/// </summary>
public sealed partial class LabStore : IDisposable, IFileHashCache
{
    public const string FileName = "results.sqlite";

    readonly SqliteConnection connection;

    LabStore(SqliteConnection connection, string path)
    {
        this.connection = connection;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens (creating when absent, unless <paramref name="readOnly"/>) the store at <paramref name="path"/>.</summary>
    public static LabStore Open(string path, bool readOnly = false)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (readOnly && !File.Exists(full)) throw new UserError($"no results store at {full}");
        if (!readOnly) Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        var store = new LabStore(connection, full);
        try
        {
            store.Execute("PRAGMA busy_timeout = 5000");
            store.EnsureSchema(readOnly);
        }
        catch
        {
            store.Dispose();
            throw;
        }
        return store;
    }

    /// <summary>The schema version of this store.</summary>
    public int SchemaVersion => int.Parse(Scalar("SELECT value FROM meta WHERE key = 'schema_version'")!, CultureInfo.InvariantCulture);

    void EnsureSchema(bool readOnly)
    {
        bool exists = Scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'") is not null;
        if (!exists)
        {
            if (readOnly) throw new UserError($"{Path}: not a PrefLab results store (no schema)");
            InTransaction(() =>
            {
                Execute(StoreSchema.Ddl);
                Execute("INSERT INTO meta (key, value) VALUES ('schema_version', $v), ('created_at', $t)",
                    ("$v", StoreSchema.Version.ToString(CultureInfo.InvariantCulture)), ("$t", Now()));
            });
            return;
        }
        int version = SchemaVersion;
        if (version > StoreSchema.Version)
            throw new UserError($"{Path}: results store schema {version} was written by a newer PrefLab (this one reads up to {StoreSchema.Version})");
        if (version == StoreSchema.Version || readOnly) return;
        InTransaction(() =>
        {
            for (int from = version; from < StoreSchema.Version; from++) Execute(StoreSchema.Migrations[from]);
            Execute("UPDATE meta SET value = $v WHERE key = 'schema_version'", ("$v", StoreSchema.Version.ToString(CultureInfo.InvariantCulture)));
        });
    }

    /// <summary>Whether this store's nodes table records model FLOPs (schema 2 on; an older store read-only does not).</summary>
    bool HasModelFlops => SchemaVersion >= 2;

    /// <summary>Runs <paramref name="work"/> in one transaction: all of it lands, or none of it.</summary>
    public void InTransaction(Action work)
    {
        using var transaction = connection.BeginTransaction();
        current = transaction;
        try
        {
            work();
            transaction.Commit();
        }
        finally
        {
            current = null;
        }
    }

    SqliteTransaction? current;

    SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = current;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    string? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is null or DBNull ? null : Convert.ToString(value, CultureInfo.InvariantCulture);
    }

    List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    /// <summary>Runs a read-only SQL query and returns its rows as objects (for ad-hoc queries and tests).</summary>
    public IReadOnlyList<object?[]> Select(string sql, params (string Name, object? Value)[] parameters) =>
        Query(sql, reader =>
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            return row;
        }, parameters);

    static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    static string? NullableString(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    bool IFileHashCache.TryGet(string path, long size, long modifiedTicks, out string sha256)
    {
        sha256 = Scalar("SELECT sha256 FROM file_hashes WHERE path = $p AND size = $s AND modified = $m",
            ("$p", path), ("$s", size), ("$m", modifiedTicks)) ?? "";
        return sha256.Length > 0;
    }

    void IFileHashCache.Put(string path, long size, long modifiedTicks, string sha256) =>
        Execute("INSERT OR REPLACE INTO file_hashes (path, size, modified, sha256) VALUES ($p, $s, $m, $h)",
            ("$p", path), ("$s", size), ("$m", modifiedTicks), ("$h", sha256));

    public void Dispose() => connection.Dispose();
}
