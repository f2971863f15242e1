using System.CommandLine;
using PrefLab.Models.Lora;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab lora merge --base DIR --adapter DIR --output DIR</c>.</summary>
public static class LoraCommand
{
    public static Command Create()
    {
        var baseOption = new Option<string>("--base") { Description = "The base model folder the adapter was trained on (Hugging Face layout).", Required = true, HelpName = "DIR" };
        var adapterOption = new Option<string>("--adapter") { Description = "The adapter folder (PEFT layout: adapter_config.json, adapter_model.safetensors), e.g. a run's OUT/adapter.", Required = true, HelpName = "DIR" };
        var outputOption = new Option<string>("--output") { Description = "New folder for the merged model (W + alpha/r B A), Hugging Face layout.", Required = true, HelpName = "DIR" };
        var merge = new Command("merge", "Merge a LoRA adapter into its base model and write a plain model folder.") { baseOption, adapterOption, outputOption };
        merge.SetAction(parse =>
        {
            var result = LoraMerge.Run(
                CommandPaths.ExistingFolder(parse.GetValue(baseOption)!, "base"),
                CommandPaths.ExistingFolder(parse.GetValue(adapterOption)!, "adapter"),
                parse.GetValue(outputOption)!);
            parse.InvocationConfiguration.Output.WriteLine($"merged {result.MergedLayers} adapted layers ({result.AdapterParameters} adapter parameters) into {result.Output}");
            return CliApp.ExitOk;
        });
        return new Command("lora", "LoRA adapters (PEFT layout).") { merge };
    }
}
