using static TorchSharp.torch;

namespace PrefLab.Models.Layers;

/// <summary>The precision of a model's matrix products with weights, as the training commands' <c>--precision</c> names it.</summary>
public enum LinearPrecision
{
    /// <summary>float32 throughout (the default; matches PyTorch's float32 numerics).</summary>
    Fp32,
    /// <summary>bfloat16 products over float32 master weights (mixed precision); fast only with native AVX-512 BF16.</summary>
    Bf16,
}

/// <summary>
/// How a model computes. Weights are always float32 ("master" weights); with <see cref="LinearDtype"/> set to
/// bfloat16, every linear layer (<see cref="Linear"/>, the one seam for matrix products with weights) casts its
/// input and weight to bfloat16, multiplies, and returns float32. Norms, softmax and residuals stay float32.
/// One instance is shared by all layers of a model.
/// </summary>
public sealed class ComputePrecision
{
    /// <summary>Null for float32 throughout; <see cref="ScalarType.BFloat16"/> for mixed precision.</summary>
    public ScalarType? LinearDtype { get; set; }

    /// <summary>A new instance computing at <paramref name="precision"/>.</summary>
    public static ComputePrecision Of(LinearPrecision precision) =>
        new() { LinearDtype = precision == LinearPrecision.Bf16 ? ScalarType.BFloat16 : null };

    /// <summary>"fp32" or "bf16" (the <c>--dtype</c> spellings) to a linear dtype.</summary>
    public static ScalarType? Parse(string name, string option = "dtype") => name.ToLowerInvariant() switch
    {
        "fp32" or "float32" => null,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        _ => throw Runtime.UserError.InOption(option, $"must be fp32 or bf16, not '{name}'"),
    };

    /// <summary><c>--precision</c>'s value: fp32, bf16, or auto (bf16 where the CPU multiplies bfloat16 natively,
    /// AVX-512 BF16, else fp32; bf16 emulated is about a hundred times slower than fp32).</summary>
    public static LinearPrecision ParsePrecision(string name, bool nativeBf16, string option = "precision") => name.ToLowerInvariant() switch
    {
        "fp32" or "float32" => LinearPrecision.Fp32,
        "bf16" or "bfloat16" => LinearPrecision.Bf16,
        "auto" => nativeBf16 ? LinearPrecision.Bf16 : LinearPrecision.Fp32,
        _ => throw Runtime.UserError.InOption(option, $"must be fp32, bf16 or auto, not '{name}'"),
    };

    /// <summary>The spelling <see cref="ParsePrecision"/> reads (and grids and run.json show).</summary>
    public static string Name(LinearPrecision precision) => precision == LinearPrecision.Bf16 ? "bf16" : "fp32";
}
