using static TorchSharp.torch;

namespace PrefLab.Models.Layers;

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

    /// <summary>"fp32" or "bf16" (the <c>--dtype</c> spellings) to a linear dtype.</summary>
    public static ScalarType? Parse(string name, string option = "dtype") => name.ToLowerInvariant() switch
    {
        "fp32" or "float32" => null,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        _ => throw Runtime.UserError.InOption(option, $"must be fp32 or bf16, not '{name}'"),
    };
}
