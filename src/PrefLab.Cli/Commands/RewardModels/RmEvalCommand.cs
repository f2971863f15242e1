using System.CommandLine;
using PrefLab.Evaluation.RewardModels;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.RewardModels;

/// <summary><c>preflab rm eval</c>: RewardBench-style evaluation of one or more reward models.</summary>
public static class RmEvalCommand
{
    public static Command Create()
    {
        var read = new ReadOptionSet();
        var models = new Option<string[]>("--model") { Description = "A reward model folder; repeat for several (each is compared with the first).", Required = true, HelpName = "DIR" };
        models.Aliases.Add("--reward-model");
        var ensemble = new Option<string?>("--ensemble") { Description = "Also report the models as one ensemble beside them: each member's reward normalised by its stored normalisation (raw when it has none), combined by mean, min, or weights (with --ensemble-weights); on the pairs every member scored.", HelpName = "mean|min|weights" };
        var ensembleWeights = new Option<string?>("--ensemble-weights") { Description = "With --ensemble weights: one non-negative weight per --model, comma-separated.", HelpName = "W1,W2,..." };
        var data = new Option<string[]>("--data") { Description = "Preference pairs to evaluate on (any pair format); repeat for several files. Results per category, source and subset the rows carry.", HelpName = "FILE" };
        var world = new Option<string?>("--world") { Description = "A Preference World folder: also measure agreement with the gold judge on held-out pairs (the World's eval prompts, fresh responder answers), per category.", HelpName = "DIR" };
        var worldPairs = new Option<int>("--world-pairs") { Description = "Held-out pairs drawn per World eval prompt (before gold ties and identical pairs are dropped).", DefaultValueFactory = _ => WorldHeldOutPairs.DefaultPairsPerPrompt, HelpName = "N" };
        var seed = new Option<long>("--seed") { Description = "Seed of the World's held-out pair draws, binarization and the bootstrap.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var compare = new Option<bool>("--compare") { Description = "One table with the models side by side (default with several models: a section per model)." };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object." };
        var output = new Option<string?>("--output") { Description = "Also write the results as JSON to this file (atomically).", HelpName = "FILE" };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 16, HelpName = "N" };
        var maxLength = new Option<int?>("--max-length") { Description = "Longest prompt + response in tokens; longer pairs are dropped and counted (default: the model's max positions).", HelpName = "N" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The reward model's"), HelpName = "NAME" };
        var command = new Command("eval", "Evaluate reward models: accuracy with 95% bootstrap intervals overall and per subset, mean margin, calibration (ECE), reward-length correlation; on a World, gold agreement on held-out pairs per category.")
        {
            models, ensemble, ensembleWeights, data, world, worldPairs, seed, compare, json, output, batchSize, maxLength, chatFormat,
        };
        read.AddTo(command);
        command.SetAction(parse =>
        {
            var folders = parse.GetValue(models)!.Select(m => CommandPaths.ExistingFolder(m, "model")).ToList();
            var rule = EnsembleOptions.Rule(parse.GetValue(ensemble), parse.GetValue(ensembleWeights), folders.Count, requireCombiner: true);
            var files = (parse.GetValue(data) ?? []).Select(f => CommandPaths.ExistingFile(f, "data")).ToList();
            string? worldDir = parse.GetValue(world) is { } w ? CommandPaths.ExistingFolder(w, "world") : null;
            if (files.Count == 0 && worldDir is null) throw UserError.InOption("data", "give --data FILE or --world WORLD_DIR (or both)");
            long seedValue = parse.GetValue(seed);
            var readOptions = read.Read(parse, seedValue);
            read.CheckBinarizationApplies(parse, files, readOptions);
            if (parse.GetValue(worldPairs) < 1) throw UserError.InOption("world-pairs", $"must be at least 1, not {parse.GetValue(worldPairs)}");
            if (parse.GetValue(batchSize) < 1) throw UserError.InOption("batch-size", $"must be at least 1, not {parse.GetValue(batchSize)}");
            if (parse.GetValue(maxLength) is int m && m < 2) throw UserError.InOption("max-length", $"must be at least 2, not {m}");
            var report = RewardModelEvaluator.Evaluate(new RewardEvalOptions
            {
                Models = folders,
                Data = files,
                World = worldDir,
                WorldPairsPerPrompt = parse.GetValue(worldPairs),
                WorldSeed = seedValue,
                Read = readOptions,
                Scoring = new RewardModelOptions { BatchSize = parse.GetValue(batchSize), MaxLength = parse.GetValue(maxLength), ChatFormat = parse.GetValue(chatFormat), Normalize = false },
                Bootstrap = new PrefLab.Statistics.BootstrapOptions { Seed = seedValue },
                Ensemble = rule,
            });
            var jsonReport = report.ToJson();
            if (parse.GetValue(output) is { } path) AtomicFile.WriteAllText(path, jsonReport.ToJsonString(JsonOptions.Indented) + "\n");
            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) writer.WriteLine(jsonReport.ToJsonString(JsonOptions.Compact));
            else writer.Write(parse.GetValue(compare) ? RmEvalText.Compare(report) : RmEvalText.Sections(report));
            return CliApp.ExitOk;
        });
        return command;
    }
}
