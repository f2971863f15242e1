using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using PrefLab.Data.Collation;
using PrefLab.Models.Checkpoints;
using PrefLab.Runtime;
using PrefLab.Runtime.Distributed;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>Where a split's reference log-probs came from.</summary>
public enum ReferenceSource
{
    /// <summary>Read from a valid cache file: nothing computed.</summary>
    CacheHit,
    /// <summary>No cache file: computed and written.</summary>
    Computed,
    /// <summary>A cache file existed but failed validation (corrupt, mismatched): computed again and rewritten.</summary>
    Recomputed,
}

/// <summary>The result of <see cref="ReferenceCache.GetOrCompute"/>.</summary>
/// <param name="Problem">Why an existing file was not used, or why the result could not be written; else null.</param>
public sealed record CachedReference(ReferenceLogProbs Values, ReferenceSource Source, string File, string? Problem);

/// <summary>
/// Reference log-probs on disk, one safetensors file per key (<c>FOLDER/KEY.safetensors</c>): float64
/// <c>chosen_logps</c> and <c>rejected_logps</c> [pairs], int32 <c>chosen_tokens</c> and <c>rejected_tokens</c>
/// [pairs], and metadata (format, version, key, pair count, SHA-256 of the tensor bytes, the key's description
/// as JSON). Files are written atomically. A file is used only when it passes every check — readable header,
/// same key and version, the expected tensors, dtypes and shapes, the checksum, finite values ≤ 0, and token
/// counts equal to the current pairs' — otherwise the values are computed again with a warning, never trusted.
/// </summary>
public sealed class ReferenceCache
{
    /// <summary>The <c>--ref-cache</c> value that turns the cache off (a live reference model instead).</summary>
    public const string Off = "off";
    const string FileFormat = "preflab-ref-logps";

    readonly TextWriter? warnings;

    /// <param name="warnings">Where a warning goes when a cache file is not usable (null: nowhere).</param>
    public ReferenceCache(string folder, TextWriter? warnings)
    {
        Folder = Path.GetFullPath(folder);
        this.warnings = warnings;
    }

    public string Folder { get; }

    /// <summary><c>$XDG_CACHE_HOME/preflab/ref-logps</c> when XDG_CACHE_HOME is an absolute path, else
    /// <c>~/.cache/preflab/ref-logps</c> (on Windows, under the local application data folder).</summary>
    public static string DefaultFolder
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg
                : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "preflab", "ref-logps");
        }
    }

    public string PathOf(ReferenceCacheKey key) => Path.Combine(Folder, key.Hex + ".safetensors");

    /// <summary>The cached values of <paramref name="key"/> when a valid file holds them; otherwise
    /// <paramref name="compute"/>'s, written to the cache. Under mpirun (<paramref name="group"/>, default the
    /// process's) the file is used only when every rank finds it valid (machines may hold different caches, and a rank
    /// must not compute alone while another skips the shared pass), and rank 0 alone writes it.</summary>
    public CachedReference GetOrCompute(ReferenceCacheKey key, IReadOnlyList<TokenizedPair> pairs, Func<ReferenceLogProbs> compute,
        ProcessGroup? group = null)
    {
        group ??= ProcessGroup.Current;
        string path = PathOf(key);
        string? problem = null;
        bool existed = File.Exists(path);
        var (values, why) = existed ? TryRead(path, key, pairs) : (null, null);
        bool hit = values is not null;
        if (group.IsDistributed) hit = group.AllGather(hit ? 1L : 0L).All(h => h == 1);
        if (hit) return new CachedReference(values!, ReferenceSource.CacheHit, path, null);
        if (existed)
        {
            problem = why ?? "another rank found no usable file";
            warnings?.WriteLine($"warning: reference cache {path} is not usable ({problem}); computing the reference log-probs again");
        }
        var computed = compute();
        if (group.IsRoot)
        {
            try
            {
                Write(path, key, computed, pairs);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                warnings?.WriteLine($"warning: could not write the reference cache {path} ({e.Message}); continuing without it");
                problem = (problem is null ? "" : problem + "; ") + "not written: " + e.Message;
            }
        }
        return new CachedReference(computed, existed ? ReferenceSource.Recomputed : ReferenceSource.Computed, path, problem);
    }

    /// <summary>Writes <paramref name="values"/> atomically under <paramref name="key"/>.</summary>
    public void Write(ReferenceCacheKey key, ReferenceLogProbs values, IReadOnlyList<TokenizedPair> pairs) =>
        Write(PathOf(key), key, values, pairs);

    static void Write(string path, ReferenceCacheKey key, ReferenceLogProbs values, IReadOnlyList<TokenizedPair> pairs)
    {
        if (values.Count != pairs.Count) throw new ArgumentException($"{values.Count} values for {pairs.Count} pairs");
        int[] chosenTokens = pairs.Select(p => p.Chosen.LossTokens).ToArray();
        int[] rejectedTokens = pairs.Select(p => p.Rejected.LossTokens).ToArray();
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>
        {
            ("chosen_logps", tensor(values.Chosen)),
            ("rejected_logps", tensor(values.Rejected)),
            ("chosen_tokens", tensor(chosenTokens)),
            ("rejected_tokens", tensor(rejectedTokens)),
        };
        var metadata = new Dictionary<string, string>
        {
            ["content"] = FileFormat,
            ["version"] = ReferenceCacheKey.Version.ToString(CultureInfo.InvariantCulture),
            ["key"] = key.Hex,
            ["pairs"] = pairs.Count.ToString(CultureInfo.InvariantCulture),
            ["sha256"] = Checksum(values.Chosen, values.Rejected, chosenTokens, rejectedTokens),
            ["description"] = key.Description.ToJsonString(),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SafeTensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>The values in <paramref name="path"/>, or null and why they cannot be trusted.</summary>
    public static (ReferenceLogProbs? Values, string? Problem) TryRead(string path, ReferenceCacheKey key, IReadOnlyList<TokenizedPair> pairs)
    {
        try
        {
            using var file = SafeTensorsFile.Open(path);
            var meta = file.Metadata;
            string Meta(string name) => meta.TryGetValue(name, out var v) ? v : "(missing)";
            if (Meta("content") != FileFormat) return (null, $"not a reference log-prob file (content {Meta("content")})");
            if (Meta("version") != ReferenceCacheKey.Version.ToString(CultureInfo.InvariantCulture))
                return (null, $"version {Meta("version")}, expected {ReferenceCacheKey.Version}");
            if (Meta("key") != key.Hex) return (null, $"it holds key {Meta("key")}, not {key.Hex}");
            if (Meta("pairs") != pairs.Count.ToString(CultureInfo.InvariantCulture))
                return (null, $"it holds {Meta("pairs")} pairs, expected {pairs.Count}");
            var chosen = ReadArray<double>(file, "chosen_logps", "F64", pairs.Count, out string? problem);
            var rejected = problem is null ? ReadArray<double>(file, "rejected_logps", "F64", pairs.Count, out problem) : null;
            var chosenTokens = problem is null ? ReadArray<int>(file, "chosen_tokens", "I32", pairs.Count, out problem) : null;
            var rejectedTokens = problem is null ? ReadArray<int>(file, "rejected_tokens", "I32", pairs.Count, out problem) : null;
            if (problem is not null) return (null, problem);
            if (Checksum(chosen!, rejected!, chosenTokens!, rejectedTokens!) != Meta("sha256")) return (null, "checksum mismatch (corrupt data)");
            for (int i = 0; i < pairs.Count; i++)
            {
                if (!(chosen![i] <= 0) || !(rejected![i] <= 0) || double.IsInfinity(chosen[i]) || double.IsInfinity(rejected[i]))
                    return (null, $"pair {i}: log-probs {chosen[i]}, {rejected![i]} are not finite values <= 0");
                if (chosenTokens![i] != pairs[i].Chosen.LossTokens || rejectedTokens![i] != pairs[i].Rejected.LossTokens)
                    return (null, $"pair {i}: token counts differ from the data");
            }
            return (new ReferenceLogProbs(chosen!, rejected!), null);
        }
        catch (Exception e) when (e is UserError or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, e.Message);
        }
    }

    static T[]? ReadArray<T>(SafeTensorsFile file, string name, string dtype, int count, out string? problem) where T : unmanaged
    {
        problem = null;
        if (!file.Tensors.TryGetValue(name, out var info)) { problem = $"no tensor '{name}'"; return null; }
        if (info.DType != dtype || info.Shape.Length != 1 || info.Shape[0] != count)
        {
            problem = $"tensor '{name}' is {info.DType} [{string.Join(", ", info.Shape)}], expected {dtype} [{count}]";
            return null;
        }
        using var t = file.Read(name);
        return t.data<T>().ToArray();
    }

    static string Checksum(double[] chosen, double[] rejected, int[] chosenTokens, int[] rejectedTokens)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(chosen.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(rejected.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(chosenTokens.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(rejectedTokens.AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
