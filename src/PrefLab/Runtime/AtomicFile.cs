using System.Text;

namespace PrefLab.Runtime;

/// <summary>
/// Writes files and folders under a temporary name in the same directory, then renames them into place,
/// so a reader (or a crash) never sees a half-written output.
/// </summary>
public static class AtomicFile
{
    static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAllText(string path, string text) => Write(path, stream =>
    {
        var bytes = Utf8NoBom.GetBytes(text);
        stream.Write(bytes, 0, bytes.Length);
    });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy, 0, copy.Length));
    }

    /// <summary>Calls <paramref name="write"/> with a stream to a temporary file, flushes it to disk, and
    /// renames it to <paramref name="path"/>. On any exception the temporary file is removed.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        string temporary = TemporaryName(full);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Builds a folder under a temporary name beside <paramref name="path"/>, then renames it into
    /// place, replacing an existing folder of that name only after the new one is complete.</summary>
    public static void WriteDirectory(string path, Action<string> build)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        Directory.CreateDirectory(Path.GetDirectoryName(full) ?? ".");
        string temporary = TemporaryName(full);
        try
        {
            Directory.CreateDirectory(temporary);
            build(temporary);
            if (Directory.Exists(full))
            {
                string old = TemporaryName(full) + ".old";
                Directory.Move(full, old);
                Directory.Move(temporary, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temporary, full);
            }
        }
        catch
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    /// <summary>True for names this class uses while writing, so folder listings can ignore them.</summary>
    public static bool IsTemporary(string path) => Path.GetFileName(path).Contains(".tmp-", StringComparison.Ordinal);

    static string TemporaryName(string full) =>
        Path.Combine(Path.GetDirectoryName(full) ?? ".",
            "." + Path.GetFileName(full) + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
