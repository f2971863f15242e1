using System.Security.Cryptography;
using System.Text;

namespace PrefLab.Runtime;

/// <summary>Remembers file hashes by (path, size, modification time), so a large model or dataset is read once.</summary>
public interface IFileHashCache
{
    bool TryGet(string path, long size, long modifiedTicks, out string sha256);
    void Put(string path, long size, long modifiedTicks, string sha256);
}

/// <summary>
/// Content hashes (SHA-256, lower-case hex) of files, folders and canonical text. A folder's hash covers its files'
/// relative paths (ordinal order, '/' separators) and contents, so renaming or moving the folder keeps it, and
/// editing, adding or removing a file changes it. Temporary files of <see cref="AtomicFile"/> are ignored.
/// </summary>
public sealed class ContentHasher(IFileHashCache? cache = null)
{
    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The first 16 hex digits of <see cref="Sha256Hex"/>: a node id (64 bits; collisions are negligible for a lab).</summary>
    public static string ShortId(string canonical) => Sha256Hex(canonical)[..16];

    public string HashPath(string path)
    {
        if (File.Exists(path)) return HashFile(path);
        if (Directory.Exists(path)) return HashFolder(path);
        throw new UserError($"input not found: {path}");
    }

    public string HashFile(string path)
    {
        var info = new FileInfo(path);
        string full = info.FullName;
        long ticks = info.LastWriteTimeUtc.Ticks;
        if (cache is not null && cache.TryGet(full, info.Length, ticks, out var cached)) return cached;
        string hash;
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        cache?.Put(full, info.Length, ticks, hash);
        return hash;
    }

    public string HashFolder(string path)
    {
        string root = Path.GetFullPath(path);
        var listing = new StringBuilder();
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(AtomicFile.IsTemporary))
            .Select(f => (Relative: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), Full: f))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        foreach (var (relative, full) in files) listing.Append(relative).Append('\0').Append(HashFile(full)).Append('\n');
        return Sha256Hex(listing.ToString());
    }
}
