using static TorchSharp.torch;

namespace PrefLab.Models.Checkpoints;

/// <summary>The safetensors dtype names PrefLab reads and writes, their sizes and torch types.</summary>
public static class SafeTensorsDType
{
    static readonly Dictionary<string, (int Size, ScalarType Type)> Known = new(StringComparer.Ordinal)
    {
        ["F64"] = (8, ScalarType.Float64),
        ["F32"] = (4, ScalarType.Float32),
        ["F16"] = (2, ScalarType.Float16),
        ["BF16"] = (2, ScalarType.BFloat16),
        ["I64"] = (8, ScalarType.Int64),
        ["I32"] = (4, ScalarType.Int32),
        ["I16"] = (2, ScalarType.Int16),
        ["I8"] = (1, ScalarType.Int8),
        ["U8"] = (1, ScalarType.Byte),
        ["BOOL"] = (1, ScalarType.Bool),
    };

    public static IEnumerable<string> Names => Known.Keys;

    public static bool TryGet(string name, out int size, out ScalarType type)
    {
        bool found = Known.TryGetValue(name, out var entry);
        (size, type) = entry;
        return found;
    }

    public static string NameOf(ScalarType type) =>
        Known.FirstOrDefault(kv => kv.Value.Type == type).Key
        ?? throw new ArgumentException($"no safetensors dtype for {type}");

    /// <summary>Hugging Face's <c>torch_dtype</c> spelling.</summary>
    public static string TorchDtypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float64 => "float64",
        _ => throw new ArgumentException($"not a floating dtype: {type}"),
    };
}
