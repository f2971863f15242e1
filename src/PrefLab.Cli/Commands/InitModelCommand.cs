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
            string tokenizerDir = parse.GetValue(tokenizer)!.FullName;
            string outputDir = parse.GetValue(output)!.FullName;
            if (!File.Exists(Path.Combine(tokenizerDir, "tokenizer.json")))
                throw UserError.InOption("tokenizer", $"{tokenizerDir} has no tokenizer.json");
            if (Directory.Exists(outputDir) && Directory.EnumerateFileSystemEntries(outputDir).Any())
                throw UserError.InOption("output", $"{outputDir} exists and is not empty");
            var facts = TokenizerFacts.Read(tokenizerDir);
            var config = ModelPresets.Create(parse.GetValue(preset)!, facts);
            TorchRuntime.EnsureLoaded();
            using var model = CausalLM.Create(config, parse.GetValue(seed));
            AtomicFile.WriteDirectory(outputDir, folder =>
            {
                model.Save(folder);
                ModelFolder.CopyTokenizerFiles(tokenizerDir, folder);
            });
            parse.InvocationConfiguration.Output.WriteLine(
                $"{outputDir}: {config.ModelType} preset {parse.GetValue(preset)}, vocabulary {config.VocabSize}, " +
                $"{model.NonEmbeddingParameterCount:N0} non-embedding + {model.EmbeddingParameterCount:N0} embedding = {model.ParameterCount:N0} parameters");
            return CliApp.ExitOk;
        });
        return command;
    }
}
