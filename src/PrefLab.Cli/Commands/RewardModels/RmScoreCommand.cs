using System.CommandLine;
using System.Text.Json;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Data.Reading;
using PrefLab.Data.Writing;
using PrefLab.Rewards;
using PrefLab.Runtime;
using PrefLab.Text.Chat;

namespace PrefLab.Cli.Commands.RewardModels;

/// <summary><c>preflab rm score</c>: rewards for a file of responses, streaming.</summary>
public static class RmScoreCommand
{
    public static Command Create()
    {
        var read = new ReadOptionSet();
        var model = new Option<string>("--model") { Description = "Reward model folder.", Required = true, HelpName = "DIR" };
        var data = new Option<string>("--data") { Description = "JSONL/Parquet of {\"prompt\", \"response\"} rows (prompt as text or messages), of {\"messages\"} conversations ending with the response, or any preference format (both sides scored).", Required = true, HelpName = "FILE" };
        var output = new Option<string?>("--output") { Description = "Write the scored JSONL here, atomically (default: standard output). Rows keep their fields and ids; \"reward\" is added (pairs: chosen_reward, rejected_reward).", HelpName = "FILE" };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 16, HelpName = "N" };
        var maxLength = new Option<int?>("--max-length") { Description = "Longest prompt + response in tokens; longer ones get a null reward and are counted (default: the model's max positions).", HelpName = "N" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The reward model's"), HelpName = "NAME" };
        var raw = new Option<bool>("--raw") { Description = "Write the head's raw output even when the model stores a reward normalisation." };
        var command = new Command("score", "Score responses with a reward model, streaming and batched. With a stored normalisation (rm normalize), \"reward\" is normalised and \"reward_raw\" holds the raw output.")
        {
            model, data, output, batchSize, maxLength, chatFormat, raw,
        };
        read.AddTo(command);
        command.SetAction(parse =>
        {
            string folder = CommandPaths.ExistingFolder(parse.GetValue(model)!, "model");
            string file = CommandPaths.ExistingFile(parse.GetValue(data)!, "data");
            if (parse.GetValue(batchSize) < 1) throw UserError.InOption("batch-size", $"must be at least 1, not {parse.GetValue(batchSize)}");
            if (parse.GetValue(maxLength) is int m && m < 2) throw UserError.InOption("max-length", $"must be at least 2, not {m}");
            var readOptions = read.Read(parse, 0);
            using var rm = RewardModel.Load(folder, new RewardModelOptions
            {
                BatchSize = parse.GetValue(batchSize), MaxLength = parse.GetValue(maxLength), ChatFormat = parse.GetValue(chatFormat),
                Normalize = !parse.GetValue(raw),
            });
            var rows = RewardFileScorer.Rows(rm, file, readOptions, out var report);
            string? path = parse.GetValue(output);
            var summary = path is null ? parse.InvocationConfiguration.Error : parse.InvocationConfiguration.Output;
            if (path is not null) JsonlWriter.Write(path, rows);
            else
            {
                var stdout = parse.InvocationConfiguration.Output;
                foreach (var row in rows) stdout.WriteLine(row.ToJsonString(new JsonSerializerOptions { Encoder = RecordJson.Options.Encoder }));
            }
            summary.WriteLine($"rm score: {report.Rows} rows, {report.Scored} responses scored, {report.Tokenization.DroppedTotal} unscored" +
                (report.Tokenization.DroppedTotal > 0 ? $" ({string.Join(", ", report.Tokenization.Dropped.Select(p => $"{p.Key}: {p.Value}"))})" : "") +
                (report.Skipped.Count > 0 ? $"; {report.Skipped.Values.Sum()} bad rows skipped" : "") +
                (rm.IsNormalized ? $"; normalised by {RewardNormalization.FileName} (mean {rm.Normalizer.Mean:G4}, std {rm.Normalizer.Std:G4})" : "") +
                (path is null ? "" : $"; written to {Path.GetFullPath(path)}"));
            return CliApp.ExitOk;
        });
        return command;
    }
}
