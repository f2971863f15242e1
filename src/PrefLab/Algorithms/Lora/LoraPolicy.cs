using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Models.Lora;

namespace PrefLab.Algorithms.Lora;

/// <summary>
/// How a trainer runs a policy with LoRA adapters: attaching them (base frozen, base_model_name_or_path = the
/// starting folder), what the run folder holds at the end — the merged model in Hugging Face layout at the top
/// (so every command that takes <c>--model OUT</c> keeps working) and the adapter in PEFT's layout in
/// <c>OUT/adapter/</c> (<see cref="AdapterFolder"/>), both with the tokenizer files — and run.json's record.
/// Checkpoints hold only the adapter (the objectives' <c>SaveCheckpointModel</c>).
/// </summary>
public static class LoraPolicy
{
    public const string AdapterFolder = "adapter";

    /// <summary>New adapters on <paramref name="model"/> when <paramref name="config"/> is given, else null.</summary>
    public static LoraAdapters? Attach(CausalLM model, LoraConfig? config, string baseFolder, long seed) =>
        config is null ? null : AttachNew(model, config, baseFolder, seed);

    /// <summary>New adapters on <paramref name="model"/>, A drawn from the named stream of <paramref name="seed"/>.</summary>
    public static LoraAdapters AttachNew(CausalLM model, LoraConfig config, string baseFolder, long seed) =>
        LoraAdapters.Attach(model, config with { BaseModel = config.BaseModel ?? Path.GetFullPath(baseFolder) }, seed);

    /// <summary>The final save: the plain model, or with adapters the merged model plus <c>adapter/</c>.</summary>
    public static void Save(CausalLM model, LoraAdapters? adapters, string folder, string tokenizerFrom, int? padId)
    {
        var options = new ModelSaveOptions { PadTokenId = padId };
        if (adapters is null)
        {
            model.Save(folder, options);
        }
        else
        {
            adapters.SaveMerged(folder, options);
            string adapterFolder = Path.Combine(folder, AdapterFolder);
            adapters.Save(adapterFolder);
            ModelFolder.CopyTokenizerFiles(tokenizerFrom, adapterFolder);
        }
        ModelFolder.CopyTokenizerFiles(tokenizerFrom, folder);
    }

    /// <summary>run.json's <c>lora</c> entry.</summary>
    public static JsonObject Report(LoraAdapters adapters, CausalLM model) => new()
    {
        ["r"] = adapters.Config.R,
        ["lora_alpha"] = adapters.Config.Alpha,
        ["lora_dropout"] = adapters.Config.Dropout,
        ["target_modules"] = new JsonArray(adapters.TargetNames.Select(n => (JsonNode?)n).ToArray()),
        ["adapted_layers"] = adapters.Targets.Count,
        ["trainable_parameters"] = adapters.TrainableParameterCount,
        ["base_parameters"] = model.ParameterCount,
        ["adapter_folder"] = AdapterFolder,
        ["final_model"] = "merged (W + alpha/r B A)",
    };
}
