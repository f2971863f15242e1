using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace PrefLab.Models.Layers;

/// <summary>
/// The one linear layer of every architecture: <c>y = x W^T + b</c> with Hugging Face's parameter names
/// (<c>weight</c>, <c>bias</c>). GPT-2's Conv1D stores W as [in, out]; <see cref="InputMajor"/> reads it that way,
/// so checkpoints load unchanged. Mixed precision lives here only (<see cref="ComputePrecision"/>).
/// </summary>
public sealed class Linear : nn.Module
{
    [ComponentName(Name = "weight")] readonly Parameter weight;
    [ComponentName(Name = "bias")] readonly Parameter? bias;
    readonly ComputePrecision precision;
    // Not a registered component: a LoRA adapter's parameters belong to its Lora.LoraAdapters set (PEFT's names),
    // never to the model's named_parameters, so saving, loading and counting the base model are unchanged.
    Lora.LoraAdapter? adapter;

    /// <param name="inputMajor">True for GPT-2's Conv1D layout: weight [in, out].</param>
    public Linear(long inFeatures, long outFeatures, bool hasBias, ComputePrecision precision, bool inputMajor = false)
        : base(nameof(Linear))
    {
        InputMajor = inputMajor;
        this.precision = precision;
        weight = new Parameter(inputMajor ? zeros(inFeatures, outFeatures) : zeros(outFeatures, inFeatures), true);
        bias = hasBias ? new Parameter(zeros(outFeatures), true) : null;
        RegisterComponents();
    }

    public bool InputMajor { get; }
    public Parameter Weight => weight;
    public Parameter? Bias => bias;

    public ComputePrecision Precision => precision;

    /// <summary>The LoRA adapter attached to this layer (<see cref="Lora.LoraAdapters"/>), or null.</summary>
    public Lora.LoraAdapter? Adapter
    {
        get => adapter;
        internal set => adapter = value;
    }

    /// <summary>x [..., in] -> [..., out]; with an enabled LoRA adapter, W x + b + (alpha/r) B A dropout(x).</summary>
    public Tensor forward(Tensor x)
    {
        if (adapter is null || !adapter.Enabled) return Apply(x, weight, bias, InputMajor, precision);
        using var scope = NewDisposeScope();
        return (Apply(x, weight, bias, InputMajor, precision) + adapter.Delta(x)).MoveToOuterDisposeScope();
    }

    /// <summary>The product every weight goes through (also the tied output head, whose weight is the embedding).</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias, bool inputMajor, ComputePrecision precision)
    {
        var w = inputMajor ? weight.t() : weight; // a view: linear reads the transposed strides without a copy
        if (precision.LinearDtype is ScalarType low && low != x.dtype)
        {
            using var lowX = x.to(low);
            using var lowW = w.to(low);
            using var lowB = bias?.to(low);
            using var y = nn.functional.linear(lowX, lowW, lowB);
            return y.to(x.dtype);
        }
        return nn.functional.linear(x, w, bias);
    }
}
