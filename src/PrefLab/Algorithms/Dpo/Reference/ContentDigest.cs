using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.Checkpoints;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>SHA-256 digests (lowercase hex) of what reference log-probs depend on.</summary>
public static class ContentDigest
{
    /// <summary>
    /// A model folder's config.json and weights (model.safetensors, or the shard index and every
    /// *.safetensors file), each hashed as its name, length and bytes in name order. Tokenizer files are left
    /// out: tokenization enters the key through the token ids themselves.
    /// </summary>
    public static string OfModel(string folder)
    {
        var names = new List<string> { ModelFolder.ConfigFileName };
        if (File.Exists(Path.Combine(folder, Checkpoint.IndexFileName))) names.Add(Checkpoint.IndexFileName);
        names.AddRange(Directory.GetFiles(folder, "*.safetensors").Select(Path.GetFileName).OfType<string>());
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string name in names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            AppendString(hash, name);
            using var stream = File.OpenRead(path);
            AppendInt64(hash, stream.Length);
            AppendStream(hash, stream);
        }
        return Hex(hash);
    }

    /// <summary>A file's bytes.</summary>
    public static string OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Every pair's token ids, loss masks and prompt length, in order.</summary>
    public static string OfPairs(IReadOnlyList<TokenizedPair> pairs)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendInt64(hash, pairs.Count);
        foreach (var pair in pairs)
        {
            AppendInt64(hash, pair.PromptLength);
            AppendSequence(hash, pair.Chosen);
            AppendSequence(hash, pair.Rejected);
        }
        return Hex(hash);
    }

    /// <summary>A list of integers (e.g. padded lengths).</summary>
    public static string OfInts(IReadOnlyList<int> values)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendInt64(hash, values.Count);
        hash.AppendData(MemoryMarshal.AsBytes(values.ToArray().AsSpan()));
        return Hex(hash);
    }

    /// <summary>UTF-8 text.</summary>
    public static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    static void AppendSequence(IncrementalHash hash, TokenizedSequence sequence)
    {
        AppendInt64(hash, sequence.Length);
        hash.AppendData(MemoryMarshal.AsBytes(sequence.Ids.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(sequence.LossMask.AsSpan()));
    }

    static void AppendString(IncrementalHash hash, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        AppendInt64(hash, bytes.Length);
        hash.AppendData(bytes);
    }

    static void AppendInt64(IncrementalHash hash, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        hash.AppendData(bytes);
    }

    static void AppendStream(IncrementalHash hash, Stream stream)
    {
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, read);
    }

    static string Hex(IncrementalHash hash) => Convert.ToHexStringLower(hash.GetHashAndReset());
}
