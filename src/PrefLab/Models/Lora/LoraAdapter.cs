using TorchSharp.Utils;
using PrefLab.Models.Layers;
using static TorchSharp.torch;

namespace PrefLab.Models.Lora;

/// <summary>The on/off switch one <see cref="LoraAdapters"/> set shares with all its adapters.</summary>
public sealed class LoraSwitch
{
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// One LoRA adapter of a linear layer W [out, in]: lora_A [r, in] (Kaiming-uniform with a = sqrt(5), as PEFT:
/// U(-1/sqrt(in), 1/sqrt(in))) and lora_B [out, r] (zeros), so the layer computes
/// W x + b + (alpha / r) B A dropout(x). Dropout is active only in forwards that record gradients (training);
/// generation, reference passes and evaluation run under no_grad and see no dropout.
/// </summary>
public sealed class LoraAdapter : nn.Module
{
    [ComponentName(Name = "lora_A")] readonly Linear loraA;
    [ComponentName(Name = "lora_B")] readonly Linear loraB;
    readonly double dropout;
    readonly LoraSwitch toggle;

    internal LoraAdapter(long inFeatures, long outFeatures, int r, double scaling, double dropout, ComputePrecision precision, LoraSwitch toggle)
        : base(nameof(LoraAdapter))
    {
        loraA = new Linear(inFeatures, r, false, precision);
        loraB = new Linear(r, outFeatures, false, precision);
        Scaling = scaling;
        this.dropout = dropout;
        this.toggle = toggle;
        RegisterComponents();
    }

    public Linear A => loraA;
    public Linear B => loraB;
    public double Scaling { get; }
    public bool Enabled => toggle.Enabled;

    /// <summary>(alpha / r) B A dropout(x): x [..., in] -> [..., out] (tensors land in the caller's scope).</summary>
    public Tensor Delta(Tensor x)
    {
        var input = dropout > 0 && TrainingForward.IsActive ? nn.functional.dropout(x, dropout, training: true) : x;
        return loraB.forward(loraA.forward(input)).mul(Scaling);
    }

    /// <summary>(alpha / r) B A as [out, in] (no gradient), the update a merge adds to W.</summary>
    public Tensor DeltaWeight()
    {
        using var noGrad = no_grad();
        return loraB.Weight.matmul(loraA.Weight).mul(Scaling);
    }

    internal void Initialize(Generator generator)
    {
        using var noGrad = no_grad();
        double bound = 1.0 / Math.Sqrt(loraA.Weight.shape[1]); // kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3) x sqrt(3/fan_in)
        loraA.Weight.uniform_(-bound, bound, generator);
        loraB.Weight.zero_();
    }
}
