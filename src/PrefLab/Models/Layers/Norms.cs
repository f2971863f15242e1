using PrefLab.Runtime;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace PrefLab.Models.Layers;

/// <summary>Hugging Face's LlamaRMSNorm: in float32, <c>x * rsqrt(mean(x^2) + eps)</c>, cast back, times weight.</summary>
public sealed class RmsNorm : nn.Module
{
    [ComponentName(Name = "weight")] readonly Parameter weight;
    readonly double eps;

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        weight = new Parameter(ones(size), true);
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32);
        var variance = x32.Squared().mean(new long[] { -1 }, keepdim: true);
        var normed = x32 * (variance + eps).rsqrt_();
        if (x.dtype != ScalarType.Float32) normed = normed.to(x.dtype);
        return (weight * normed).MoveToOuterDisposeScope();
    }
}

/// <summary>LayerNorm with Hugging Face's names (<c>weight</c>, <c>bias</c>): GPT-2's ln_1, ln_2, ln_f.</summary>
public sealed class LayerNorm : nn.Module
{
    [ComponentName(Name = "weight")] readonly Parameter weight;
    [ComponentName(Name = "bias")] readonly Parameter bias;
    readonly double eps;
    readonly long[] shape;

    public LayerNorm(long size, double eps) : base(nameof(LayerNorm))
    {
        this.eps = eps;
        shape = new[] { size };
        weight = new Parameter(ones(size), true);
        bias = new Parameter(zeros(size), true);
        RegisterComponents();
    }

    public Tensor forward(Tensor x) => nn.functional.layer_norm(x, shape, weight, bias, eps);
}

/// <summary>A token (or position) embedding table [count, size] under the name <c>weight</c>.</summary>
public sealed class Embedding : nn.Module
{
    [ComponentName(Name = "weight")] readonly Parameter weight;

    public Embedding(long count, long size) : base(nameof(Embedding))
    {
        weight = new Parameter(zeros(count, size), true);
        RegisterComponents();
    }

    public Parameter Weight => weight;

    /// <summary>ids [...] (int64) -> [..., size].</summary>
    public Tensor forward(Tensor ids)
    {
        var shape = ids.shape.Append(weight.shape[1]).ToArray();
        using var flat = ids.reshape(-1);
        using var rows = weight.index_select(0, flat);
        return rows.view(shape);
    }
}
