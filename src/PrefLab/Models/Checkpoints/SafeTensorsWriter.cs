using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models.Checkpoints;

/// <summary>Writes safetensors files (atomically): an 8-byte little-endian header length, a JSON header padded
/// with spaces to a multiple of 8, then each tensor's bytes in order, with <c>__metadata__ {"format": "pt"}</c>
/// as <c>transformers</c> expects.</summary>
public static class SafeTensorsWriter
{
    /// <param name="tensors">Name and contiguous CPU tensor, written in this order with their own dtypes.</param>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        if (metadata is not null) foreach (var (key, value) in metadata) meta[key] = value;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            long bytes = tensor.NumberOfElements * tensor.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = SafeTensorsDType.NameOf(tensor.dtype),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(headerBytes, (ulong)padded);
        json.CopyTo(headerBytes, 8);
        headerBytes.AsSpan(8 + json.Length).Fill((byte)' ');
        AtomicFile.Write(path, stream =>
        {
            stream.Write(headerBytes);
            foreach (var (_, tensor) in tensors) WriteBytes(stream, tensor);
        });
    }

    static void WriteBytes(Stream stream, Tensor tensor)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian");
        if (tensor.NumberOfElements == 0) return;
        using var contiguous = tensor.contiguous();
        using var flat = contiguous.view(-1);
        long perChunk = Math.Max(1, (1L << 30) / tensor.ElementSize);
        for (long start = 0; start < flat.NumberOfElements; start += perChunk)
        {
            using var slice = flat.narrow(0, start, Math.Min(perChunk, flat.NumberOfElements - start));
            stream.Write(slice.bytes);
        }
    }
}
