using System.CommandLine;
using PrefLab.Data.Reading;
using PrefLab.Data.Stats;
using PrefLab.Runtime;
using PrefLab.Text;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.Data;

/// <summary><c>preflab data stats FILE</c>: rows, records, ties, skips, lengths, length bias, per-source counts.</summary>
public static class StatsCommand
{
    public static Command Create()
    {
        var options = new DataOptions();
        var file = DataOptions.FileArgument("A data file: JSONL (optionally .gz) or Parquet.");
        var command = new Command("stats", "Rows, pairs (or examples, prompts), ties, skips by reason, prompt/response lengths in tokens with --tokenizer, else in words (p50/p90/p99/max), the chosen-minus-rejected length difference, counts per source, category and subset.")
        {
            file,
        };
        var tokenizer = new Option<string?>("--tokenizer")
        {
            Description = "A model or tokenizer folder (tokenizer.json): lengths in its tokens instead of words.",
            HelpName = "DIR",
        };
        command.Options.Add(tokenizer);
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var dataset = Dataset.Open(parse.GetValue(file)!, options.Read(parse));
            options.CheckBinarizationApplies(parse, [dataset]);
            var stats = parse.GetValue(tokenizer) is string folder
                ? TokenLengths(TokenizerLoader.Load(folder), dataset)
                : DatasetStats.Compute(dataset);
            if (parse.GetValue(options.Json)) output.WriteLine(stats.ToJson().ToJsonString(JsonOptions.Compact));
            else output.Write(stats.ToText());
            return CliApp.ExitOk;
        });
        return command;
    }

    // Lengths of message contents in tokens, without special tokens or a chat template.
    static DatasetStatistics TokenLengths(HfTokenizer tokenizer, Dataset dataset) =>
        DatasetStats.Compute(dataset, text => tokenizer.Encode(text, addSpecialTokens: false).Count, "tokens");
}
