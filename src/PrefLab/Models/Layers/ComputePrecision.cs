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
/// How a model computes: the precision of its products, and whether training recomputes activations. Weights are always float32 ("master" weights); with <see cref="LinearDtype"/> set to
/// bfloat16, every linear layer (<see cref="Linear"/>, the one seam for matrix products with weights) casts its
/// input and weight to bfloat16, multiplies, and returns float32. Norms, softmax and residuals stay float32.
/// One instance is shared by all layers of a model.
/// </summary>
public sealed class ComputePrecision
{
    /// <summary>Null for float32 throughout; <see cref="ScalarType.BFloat16"/> for mixed precision.</summary>
    public ScalarType? LinearDtype { get; set; }

    /// <summary>Recompute each decoder block's activations in backward instead of keeping them (gradient
    /// checkpointing, <see cref="LayerCheckpoint"/>): training forwards only, the same values and gradients.</summary>
    public bool CheckpointLayers { get; set; }

    /// <summary>A new instance computing at <paramref name="precision"/>.</summary>
    public static ComputePrecision Of(LinearPrecision precision) => new() { LinearDtype = DtypeOf(precision) };

    /// <summary>The linear layers' dtype at <paramref name="precision"/>: null for float32 throughout.</summary>
    static ScalarType? DtypeOf(LinearPrecision precision) => precision == LinearPrecision.Bf16 ? ScalarType.BFloat16 : null;

    /// <summary>"fp32" or "bf16" (the <c>--dtype</c> spellings) to a linear dtype.</summary>
    public static ScalarType? Parse(string name, string option = "dtype") =>
        DtypeOf(Spelled(name) ?? throw Runtime.UserError.InOption(option, $"must be fp32 or bf16, not '{name}'"));

    /// <summary><c>--precision</c>'s value: fp32, bf16, or auto (bf16 where the CPU multiplies bfloat16 natively,
    /// AVX-512 BF16, else fp32; bf16 emulated is about a hundred times slower than fp32).</summary>
    public static LinearPrecision ParsePrecision(string name, bool nativeBf16, string option = "precision") =>
        string.Equals(name, "auto", StringComparison.OrdinalIgnoreCase)
            ? (nativeBf16 ? LinearPrecision.Bf16 : LinearPrecision.Fp32)
            : Spelled(name) ?? throw Runtime.UserError.InOption(option, $"must be fp32, bf16 or auto, not '{name}'");

    /// <summary>The spellings both options accept (fp32/float32, bf16/bfloat16, any case); null for anything else.</summary>
    static LinearPrecision? Spelled(string name) => name.ToLowerInvariant() switch
    {
        "fp32" or "float32" => LinearPrecision.Fp32,
        "bf16" or "bfloat16" => LinearPrecision.Bf16,
        _ => null,
    };

    /// <summary>The spelling <see cref="ParsePrecision"/> reads (and grids and run.json show).</summary>
    public static string Name(LinearPrecision precision) => precision == LinearPrecision.Bf16 ? "bf16" : "fp32";
}
