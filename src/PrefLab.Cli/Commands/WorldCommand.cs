using System.CommandLine;
using PrefLab.Runtime;
using PrefLab.World;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab world generate</c>: writes a Preference World folder.</summary>
public static class WorldCommand
{
    public static Command Create()
    {
        var world = new Command("world", "The Preference World: a synthetic environment with gold rewards, written in real dataset formats.");
        world.Subcommands.Add(Generate());
        return world;
    }

    static Command Generate()
    {
        var output = new Option<string>("--output")
        {
            Description = "Folder to write. It must be empty or absent, or hold a previous world (which is then replaced atomically).",
            Required = true,
            HelpName = "DIR",
        };
        var seed = new Option<long>("--seed")
        {
            Description = "Seed of the world: the same seed and scale give the same bytes.",
            DefaultValueFactory = _ => 1,
            HelpName = "N",
        };
        var scale = new Option<string>("--scale")
        {
            Description = "small (tests: about a second) or default (the demo).",
            DefaultValueFactory = _ => "default",
            HelpName = "small|default",
        };
        scale.AcceptOnlyFromAmong("small", "default");
        var command = new Command("generate", "Generate a Preference World: knowledge base, tokenizer, pretraining text, SFT demonstrations, " +
            "preference datasets in seven real formats, prompt pools and held-out eval sets, with world.json as manifest.")
        {
            output, seed, scale,
        };
        command.SetAction(parse =>
        {
            var writer = parse.InvocationConfiguration.Output;
            string directory = parse.GetValue(output)!;
            CheckOutputFolder(directory);
            var world = WorldGenerator.Generate(directory, parse.GetValue(seed), WorldSize.Parse(parse.GetValue(scale)!));
            writer.WriteLine($"Preference World (seed {world.Seed}, scale {WorldSize.Name(world.Scale)}) written to {world.Directory} in {world.Elapsed.TotalSeconds:F1} s");
            writer.WriteLine($"  vocabulary  {world.VocabularySize} tokens");
            foreach (var file in world.Files)
            {
                string agreement = file.Agreements.Count == 0 ? ""
                    : "  gold agreement " + string.Join(", ", file.Agreements.Select(a => $"{a.Tally.Measured:F3} ({a.Name})"));
                writer.WriteLine($"  {file.Path,-34} {file.Rows,7} rows{agreement}");
            }
            return CliApp.ExitOk;
        });
        return command;
    }

    /// <summary>Refuses to overwrite anything but a previous world: a folder with files must hold world.json.</summary>
    static void CheckOutputFolder(string directory)
    {
        if (File.Exists(directory)) throw UserError.InOption("output", $"'{directory}' is a file, not a folder");
        if (!Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any()) return;
        if (!File.Exists(Path.Combine(directory, WorldManifest.FileName)))
            throw UserError.InOption("output", $"'{directory}' is not empty and holds no previous world ({WorldManifest.FileName}); choose an empty or new folder");
    }
}
