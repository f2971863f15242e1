using System.CommandLine;
using PrefLab.Models;
using PrefLab.Models.Presets;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab init-model --preset NAME --tokenizer DIR --output DIR [--seed N]</c>: a randomly
/// initialised model in Hugging Face layout, with the tokenizer's files beside it.</summary>
public static class InitModelCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset")
        {
            Description = $"Model shape: {string.Join(", ", ModelPresets.Names)}.",
            Required = true,
            HelpName = "NAME",
        };
        var tokenizer = new Option<DirectoryInfo>("--tokenizer")
        {
            Description = "Folder with tokenizer.json (and tokenizer_config.json): sets the vocabulary size and BOS/EOS/PAD ids; its files are copied.",
            Required = true,
            HelpName = "DIR",
        };
        var output = new Option<DirectoryInfo>("--output") { Description = "New model folder (must not exist or be empty).", Required = true, HelpName = "DIR" };
        var seed = new Option<long>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var command = new Command("init-model", "Create a randomly initialised model from a preset, in Hugging Face layout.")
        {
            preset, tokenizer, output, seed,
        };
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(PresetModel.Create(parse.GetValue(preset)!, parse.GetValue(tokenizer)!.FullName,
                parse.GetValue(output)!.FullName, parse.GetValue(seed)));
            return CliApp.ExitOk;
        });
        return command;
    }
}
