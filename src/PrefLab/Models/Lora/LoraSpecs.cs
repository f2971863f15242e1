using PrefLab.Runtime.Options;

namespace PrefLab.Models.Lora;

/// <summary>
/// <c>lora-r</c>, <c>lora-alpha</c>, <c>lora-dropout</c>, <c>lora-target-modules</c>: train LoRA adapters (PEFT's
/// semantics and defaults) instead of the whole model. LoRA is on when any of them is given.
/// </summary>
public sealed class LoraSpecs
{
    static readonly LoraConfig Defaults = new();

    public readonly OptionSpec<int?> R = new("lora-r", $"Train LoRA adapters of this rank instead of the whole model (PEFT's default {Defaults.R} when another --lora-* option is given); the base is frozen.") { HelpName = "R" };
    public readonly OptionSpec<double?> Alpha = new("lora-alpha", $"LoRA alpha: the update is (alpha / r) B A (default {Defaults.Alpha}).") { HelpName = "A" };
    public readonly OptionSpec<double?> Dropout = new("lora-dropout", "Dropout on the adapters' input in training forwards (default 0).") { HelpName = "P" };
    public readonly OptionSpec<string?> TargetModules = new("lora-target-modules", $"Comma-separated linear layer names (e.g. q_proj,v_proj), or {LoraConfig.AllLinear} (every linear layer but the output head); default PEFT's per architecture: q_proj,v_proj (Llama, Mistral, Qwen), c_attn (GPT-2).") { HelpName = "NAMES" };

    public IReadOnlyList<OptionSpec> All => [R, Alpha, Dropout, TargetModules];

    /// <summary>The adapter settings, or null when no lora option is given (full fine-tuning).</summary>
    public LoraConfig? Read(OptionValues values)
    {
        int? r = values.Get(R);
        double? alpha = values.Get(Alpha), dropout = values.Get(Dropout);
        string? targets = values.Get(TargetModules);
        if (r is null && alpha is null && dropout is null && targets is null) return null;
        return new LoraConfig
        {
            R = r ?? Defaults.R,
            Alpha = alpha ?? Defaults.Alpha,
            Dropout = dropout ?? Defaults.Dropout,
            TargetModules = LoraConfig.ParseTargets(targets),
        }.Validate();
    }
}
