using System.CommandLine;
using PrefLab.Models.Lora;

namespace PrefLab.Cli.Commands.Training;

/// <summary>
/// <c>--lora-r</c>, <c>--lora-alpha</c>, <c>--lora-dropout</c>, <c>--lora-target-modules</c>: train LoRA adapters
/// (PEFT's semantics and defaults) instead of the whole model. LoRA is on when any of them is given.
/// </summary>
public sealed class LoraOptionSet
{
    static readonly LoraConfig Defaults = new();

    public readonly Option<int?> R = new("--lora-r") { Description = $"Train LoRA adapters of this rank instead of the whole model (PEFT's default {Defaults.R} when another --lora-* option is given); the base is frozen.", HelpName = "R" };
    public readonly Option<double?> Alpha = new("--lora-alpha") { Description = $"LoRA alpha: the update is (alpha / r) B A (default {Defaults.Alpha}).", HelpName = "A" };
    public readonly Option<double?> Dropout = new("--lora-dropout") { Description = "Dropout on the adapters' input in training forwards (default 0).", HelpName = "P" };
    public readonly Option<string?> TargetModules = new("--lora-target-modules") { Description = $"Comma-separated linear layer names (e.g. q_proj,v_proj), or {LoraConfig.AllLinear} (every linear layer but the output head); default PEFT's per architecture: q_proj,v_proj (Llama, Mistral, Qwen), c_attn (GPT-2).", HelpName = "NAMES" };

    public void AddTo(Command command)
    {
        command.Options.Add(R);
        command.Options.Add(Alpha);
        command.Options.Add(Dropout);
        command.Options.Add(TargetModules);
    }

    /// <summary>The adapter settings, or null when no --lora-* option is given (full fine-tuning).</summary>
    public LoraConfig? Read(ParseResult parse)
    {
        int? r = parse.GetValue(R);
        double? alpha = parse.GetValue(Alpha), dropout = parse.GetValue(Dropout);
        string? targets = parse.GetValue(TargetModules);
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
