using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Models.Lora;

/// <summary>
/// A LoRA adapter's settings (Hu et al. 2021), as Hugging Face PEFT's <c>LoraConfig</c> stores them in
/// <c>adapter_config.json</c>: rank <see cref="R"/>, <see cref="Alpha"/> (scaling alpha / r), dropout on the adapter's
/// input, and the target modules (names matched as PEFT matches a list: a module path equal to a name or ending in
/// "." + name; <see cref="AllLinear"/> for every linear layer but the output head).
/// </summary>
public sealed record LoraConfig
{
    public const string AllLinear = "all-linear";
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";

    /// <summary>PEFT's defaults: r 8, lora_alpha 8, lora_dropout 0.</summary>
    public int R { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    public double Dropout { get; init; }
    /// <summary>Module names, or [<see cref="AllLinear"/>]; null for PEFT's default of the architecture
    /// (<see cref="DefaultTargets"/>: q_proj, v_proj for Llama-family models, c_attn for GPT-2).</summary>
    public IReadOnlyList<string>? TargetModules { get; init; }
    /// <summary>Written to adapter_config.json's base_model_name_or_path (where PEFT finds the base model).</summary>
    public string? BaseModel { get; init; }

    public double Scaling => Alpha / R;

    /// <summary>PEFT's default targets per model type (its TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING).</summary>
    public static IReadOnlyList<string> DefaultTargets(string modelType) => modelType switch
    {
        "gpt2" => new[] { "c_attn" },
        _ => new[] { "q_proj", "v_proj" },
    };

    /// <summary>Refuses values PEFT would refuse or that make no adapter, naming the option.</summary>
    public LoraConfig Validate()
    {
        if (R < 1) throw UserError.InOption("lora-r", $"must be at least 1, not {R}");
        if (!double.IsFinite(Alpha) || Alpha <= 0) throw UserError.InOption("lora-alpha", $"must be a positive number, not {Alpha.ToString(CultureInfo.InvariantCulture)}");
        if (!(Dropout >= 0 && Dropout < 1)) throw UserError.InOption("lora-dropout", $"must be in [0, 1), not {Dropout.ToString(CultureInfo.InvariantCulture)}");
        if (TargetModules is { Count: 0 }) throw UserError.InOption("lora-target-modules", "names no module");
        if (TargetModules is not null)
        {
            foreach (string name in TargetModules)
                if (string.IsNullOrWhiteSpace(name)) throw UserError.InOption("lora-target-modules", "holds an empty name");
            if (TargetModules.Count > 1 && TargetModules.Contains(AllLinear, StringComparer.OrdinalIgnoreCase))
                throw UserError.InOption("lora-target-modules", $"'{AllLinear}' stands alone, not in a list");
        }
        return this;
    }

    /// <summary>"q_proj,v_proj" or "all-linear" (the <c>--lora-target-modules</c> spelling) to a list; null for none.</summary>
    public static IReadOnlyList<string>? ParseTargets(string? text) =>
        text is null ? null : text.Split(',', StringSplitOptions.TrimEntries).ToArray();

    /// <summary>adapter_config.json as PEFT writes it, with the resolved target names.</summary>
    internal JsonObject ToJson(IReadOnlyList<string> resolvedTargets, bool fanInFanOut) => new()
    {
        ["alpha_pattern"] = new JsonObject(),
        ["auto_mapping"] = null,
        ["base_model_name_or_path"] = BaseModel,
        ["bias"] = "none",
        ["fan_in_fan_out"] = fanInFanOut,
        ["inference_mode"] = true,
        ["init_lora_weights"] = true,
        ["layer_replication"] = null,
        ["layers_pattern"] = null,
        ["layers_to_transform"] = null,
        ["loftq_config"] = new JsonObject(),
        ["lora_alpha"] = Alpha == Math.Floor(Alpha) && Math.Abs(Alpha) < 1e15 ? JsonValue.Create((long)Alpha) : JsonValue.Create(Alpha),
        ["lora_dropout"] = Dropout,
        ["megatron_config"] = null,
        ["megatron_core"] = "megatron.core",
        ["modules_to_save"] = null,
        ["peft_type"] = "LORA",
        ["r"] = R,
        ["rank_pattern"] = new JsonObject(),
        ["revision"] = null,
        ["target_modules"] = new JsonArray(resolvedTargets.Select(t => (JsonNode?)t).ToArray()),
        ["task_type"] = "CAUSAL_LM",
        ["use_dora"] = false,
        ["use_rslora"] = false,
    };

    /// <summary>Reads <c>FOLDER/adapter_config.json</c>, refusing what PrefLab does not implement (DoRA, rsLoRA,
    /// per-layer ranks, bias training, modules_to_save, regex targets), each error naming the file and field.</summary>
    public static LoraConfig Read(string folder)
    {
        string path = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(path)) throw new UserError($"{folder}: no {ConfigFileName} (not a PEFT adapter folder)");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new UserError($"{path}: must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not valid JSON: {e.Message}");
        }
        UserError Bad(string field, string what) => new($"{path}: field '{field}': {what}");
        string peftType = json["peft_type"]?.GetValue<string>() ?? "LORA";
        if (peftType != "LORA") throw Bad("peft_type", $"is {peftType}; only LORA adapters are supported");
        if (json["use_dora"]?.GetValue<bool>() == true) throw Bad("use_dora", "DoRA is not supported");
        if (json["use_rslora"]?.GetValue<bool>() == true) throw Bad("use_rslora", "rsLoRA scaling is not supported");
        if ((json["bias"]?.GetValue<string>() ?? "none") != "none") throw Bad("bias", "only 'none' is supported");
        foreach (string field in new[] { "rank_pattern", "alpha_pattern" })
            if (json[field] is JsonObject pattern && pattern.Count > 0) throw Bad(field, "per-module ranks/alphas are not supported");
        foreach (string field in new[] { "modules_to_save", "layers_to_transform", "layer_replication" })
            if (json[field] is JsonNode node && node.GetValueKind() != JsonValueKind.Null) throw Bad(field, "is not supported (must be null)");
        var targets = json["target_modules"] switch
        {
            JsonArray array => array.Select(n => n?.GetValue<string>() ?? throw Bad("target_modules", "holds a null")).ToArray(),
            JsonValue value when value.GetValue<string>() == AllLinear => new[] { AllLinear },
            JsonValue => throw Bad("target_modules", "a regular expression is not supported; list the module names"),
            _ => throw Bad("target_modules", "is missing"),
        };
        int r = json["r"]?.GetValue<int>() ?? throw Bad("r", "is missing");
        double alpha = json["lora_alpha"]?.GetValue<double>() ?? 8;
        double dropout = json["lora_dropout"]?.GetValue<double>() ?? 0;
        return new LoraConfig
        {
            R = r, Alpha = alpha, Dropout = dropout, TargetModules = targets,
            BaseModel = json["base_model_name_or_path"]?.GetValue<string>(),
        };
    }
}
