using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrefLab.Runtime;

/// <summary>
/// Append-only JSONL files that survive crashes and concurrent writers: each append writes whole lines in one write
/// under an exclusive handle (another writer retries), after a newline when the file ends mid-line, and flushes to
/// disk; readers skip lines that are not JSON objects (at most a torn last line).
/// </summary>
public static class JsonlAppender
{
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static IEnumerable<JsonObject> ReadObjects(string path)
    {
        if (!File.Exists(path)) yield break;
        string[] lines;
        using (var stream = Open(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var reader = new StreamReader(stream, Utf8))
            lines = reader.ReadToEnd().Split('\n');
        foreach (string line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? row;
            try
            {
                row = JsonNode.Parse(line) as JsonObject;
            }
            catch (JsonException)
            {
                row = null;
            }
            if (row is not null) yield return row;
        }
    }

    public static void Append(string path, IReadOnlyCollection<string> lines)
    {
        if (lines.Count == 0) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        var text = new StringBuilder();
        foreach (string line in lines) text.Append(line).Append('\n');
        using var stream = Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (stream.Length > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n') text.Insert(0, '\n');
        }
        stream.Seek(0, SeekOrigin.End);
        byte[] bytes = Utf8.GetBytes(text.ToString());
        stream.Write(bytes, 0, bytes.Length);
        stream.Flush(flushToDisk: true);
    }

    // Another process appending holds the file for a moment: wait for it rather than fail.
    static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, mode, access, share);
            }
            catch (IOException) when (attempt < 50 && !(mode == FileMode.Open && !File.Exists(path)))
            {
                Thread.Sleep(20 + 10 * attempt);
            }
        }
    }
}
