using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models.Checkpoints;

/// <summary>One tensor's entry in a safetensors header; offsets are relative to the data region.</summary>
public sealed record SafeTensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteCount => End - Begin;
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A safetensors file opened for reading. The header is validated completely before any tensor is read: a sane
/// length (at most <see cref="MaxHeaderBytes"/> and within the file), valid JSON, known dtypes, non-negative
/// shapes whose byte size equals the entry's range, ranges inside the data region and not overlapping. Every
/// problem is a <see cref="UserError"/> naming the file and the tensor; nothing is allocated from an unchecked size.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>Largest header accepted (the format's own reader allows 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    readonly FileStream stream;
    readonly long dataStart;
    readonly Dictionary<string, SafeTensorInfo> tensors;

    SafeTensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, SafeTensorInfo> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        this.stream = stream;
        this.dataStart = dataStart;
        this.tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors => tensors;
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafeTensorsFile Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot open: {e.Message}");
        }
        try
        {
            var (dataStart, tensors, metadata) = ReadHeader(path, stream);
            return new SafeTensorsFile(path, stream, dataStart, tensors, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    static (long, Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ReadHeader(string path, FileStream stream)
    {
        long fileSize = stream.Length;
        if (fileSize < 8) throw new UserError($"{path}: not a safetensors file: {fileSize} bytes, shorter than the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)MaxHeaderBytes)
            throw new UserError($"{path}: corrupt safetensors header: its length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > fileSize - 8)
            throw new UserError($"{path}: corrupt or truncated safetensors file: header length {headerLength} but only {fileSize - 8} bytes follow");
        if (headerLength < 2) throw new UserError($"{path}: corrupt safetensors header: length {headerLength}");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(headerBytes)) as JsonObject
                ?? throw new UserError($"{path}: corrupt safetensors header: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: corrupt safetensors header: not valid JSON ({e.Message})");
        }
        long dataStart = 8 + (long)headerLength;
        long dataSize = fileSize - dataStart;
        var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        List<KeyValuePair<string, JsonNode?>> entries;
        try
        {
            entries = header.ToList();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new UserError($"{path}: corrupt safetensors header: {e.Message}");
        }
        foreach (var (name, node) in entries)
        {
            if (name == "__metadata__")
            {
                if (node is not JsonObject meta) throw new UserError($"{path}: corrupt safetensors header: __metadata__ is not an object");
                foreach (var (key, value) in meta)
                    metadata[key] = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                        : throw new UserError($"{path}: corrupt safetensors header: __metadata__ '{key}' is not a string");
                continue;
            }
            tensors[name] = ParseEntry(path, name, node, dataSize);
        }
        // Ranges must not overlap (they may leave gaps; nothing is read from a gap).
        SafeTensorInfo? previous = null;
        foreach (var info in tensors.Values.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (previous is not null && info.Begin < previous.End && info.ByteCount > 0 && previous.ByteCount > 0)
                throw new UserError($"{path}: corrupt safetensors header: tensor '{info.Name}' bytes [{info.Begin}, {info.End}) overlap tensor '{previous.Name}' [{previous.Begin}, {previous.End})");
            if (info.ByteCount > 0) previous = info;
        }
        return (dataStart, tensors, metadata);
    }

    static SafeTensorInfo ParseEntry(string path, string name, JsonNode? node, long dataSize)
    {
        UserError Bad(string what) => new($"{path}: corrupt safetensors header: tensor '{name}': {what}");
        if (node is not JsonObject entry) throw Bad("entry is not an object");
        string dtype = entry["dtype"] is JsonValue d && d.GetValueKind() == JsonValueKind.String ? d.GetValue<string>() : throw Bad("no dtype");
        if (!SafeTensorsDType.TryGet(dtype, out int elementSize, out _))
            throw Bad($"dtype '{dtype}' is not supported (supported: {string.Join(", ", SafeTensorsDType.Names)})");
        if (entry["shape"] is not JsonArray shapeNode) throw Bad("no shape");
        var shape = new long[shapeNode.Count];
        long elements = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = WholeNumber(shapeNode[i]) ?? throw Bad($"shape entry {i} is not a non-negative whole number");
            elements = shape[i] == 0 || elements == 0 ? 0
                : elements > long.MaxValue / shape[i] ? throw Bad("shape is too large") : elements * shape[i];
        }
        if (entry["data_offsets"] is not JsonArray offsets || offsets.Count != 2) throw Bad("data_offsets is not a pair");
        long begin = WholeNumber(offsets[0]) ?? throw Bad("data_offsets[0] is not a non-negative whole number");
        long end = WholeNumber(offsets[1]) ?? throw Bad("data_offsets[1] is not a non-negative whole number");
        if (end < begin) throw Bad($"data_offsets [{begin}, {end}) run backwards");
        if (end > dataSize) throw Bad($"data_offsets [{begin}, {end}) reach past the end of the data ({dataSize} bytes): the file is truncated or corrupt");
        if (elements > long.MaxValue / elementSize || elements * elementSize != end - begin)
            throw Bad($"shape [{string.Join(", ", shape)}] of {dtype} needs {(elements > long.MaxValue / elementSize ? "more" : (elements * elementSize).ToString())} bytes but data_offsets give {end - begin}");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    static long? WholeNumber(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number) return null;
        if (value.TryGetValue(out long l)) return l >= 0 ? l : null;
        if (value.TryGetValue(out ulong _)) return null; // beyond long: never a valid size here
        return null;
    }

    /// <summary>Reads the tensor as stored (its dtype and shape), into a new CPU tensor.</summary>
    public Tensor Read(string name)
    {
        var info = tensors.TryGetValue(name, out var found) ? found : throw new UserError($"{Path}: no tensor '{name}'");
        SafeTensorsDType.TryGet(info.DType, out _, out var type);
        var result = empty(info.Shape, type);
        try
        {
            ReadBytes(info, result);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    void ReadBytes(SafeTensorInfo info, Tensor destination)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian");
        if (info.ByteCount == 0) return;
        stream.Position = dataStart + info.Begin;
        using var flat = destination.view(-1);
        // Span lengths are int: read large tensors in slices.
        long elementSize = info.ByteCount / Math.Max(1, info.ElementCount);
        long perChunk = Math.Max(1, (1L << 30) / elementSize);
        for (long start = 0; start < info.ElementCount; start += perChunk)
        {
            long count = Math.Min(perChunk, info.ElementCount - start);
            using var slice = flat.narrow(0, start, count);
            try
            {
                stream.ReadExactly(slice.bytes);
            }
            catch (EndOfStreamException)
            {
                throw new UserError($"{Path}: truncated: tensor '{info.Name}' ends past the end of the file");
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
