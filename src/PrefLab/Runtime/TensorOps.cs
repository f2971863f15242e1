using static TorchSharp.torch;

namespace PrefLab.Runtime;

/// <summary>Tensor operations written to avoid a TorchSharp hazard.</summary>
public static class TensorOps
{
    /// <summary>
    /// x², as x · x. TorchSharp's <c>square()</c> calls LibTorch's pow with an implicitly converted Scalar that nothing
    /// keeps alive; when the GC finalises that Scalar during the call, pow reads freed memory and LibTorch stops with
    /// "INTERNAL ASSERT FAILED at c10/core/Scalar.h" (seen once in a 14-minute demo's PPO node). x · x involves no
    /// Scalar and is bit-identical to pow(x, 2), which LibTorch computes as x · x.
    /// </summary>
    public static Tensor Squared(this Tensor x) => x.mul(x);
}
