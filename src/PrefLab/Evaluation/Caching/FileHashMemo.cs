using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Evaluation.Caching;

/// <summary>
/// Remembers file hashes across runs in a JSONL file ({"path","size","ticks","sha256"} a line), so a model of many
/// gigabytes is hashed once, not at every evaluation: an entry counts only while the file keeps its size and
/// modification time. Appends one line per new hash; a torn last line (a crash mid-write) is ignored.
/// </summary>
public sealed class FileHashMemo : IFileHashCache
{
    readonly string path;
    readonly Dictionary<(string, long, long), string> known = new();

    public FileHashMemo(string path)
    {
        this.path = path;
        foreach (var row in JsonlAppender.ReadObjects(path))
        {
            if (row["path"]?.GetValue<string>() is string file && row["sha256"]?.GetValue<string>() is string sha &&
                row["size"] is JsonValue size && row["ticks"] is JsonValue ticks)
                known[(file, size.GetValue<long>(), ticks.GetValue<long>())] = sha;
        }
    }

    public bool TryGet(string file, long size, long modifiedTicks, out string sha256) =>
        known.TryGetValue((file, size, modifiedTicks), out sha256!);

    public void Put(string file, long size, long modifiedTicks, string sha256)
    {
        known[(file, size, modifiedTicks)] = sha256;
        var row = new JsonObject { ["path"] = file, ["size"] = size, ["ticks"] = modifiedTicks, ["sha256"] = sha256 };
        JsonlAppender.Append(path, [row.ToJsonString()]);
    }
}
