using System.CommandLine;
using PrefLab.Data.Reading;
using PrefLab.Data.Writing;

namespace PrefLab.Cli.Commands.Data;

/// <summary><c>preflab data prompts FILE --output OUT.jsonl</c>: the distinct prompts of any dataset.</summary>
public static class PromptsCommand
{
    public static Command Create()
    {
        var options = new DataOptions();
        var file = DataOptions.FileArgument("A data file of any format but text: JSONL (optionally .gz) or Parquet.");
        var outputFile = DataOptions.Output("Where to write (atomically) the prompt set.");
        var command = new Command("prompts", "Extract a prompt set from any dataset: {\"prompt\"} rows for single user turns, {\"messages\"} rows otherwise (conversations cut after their last user turn); repeated prompts kept once (the first copy wins).")
        {
            file, outputFile,
        };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var dataset = Dataset.Open(parse.GetValue(file)!, options.Read(parse));
            options.CheckBinarizationApplies(parse, [dataset]);
            var prompts = dataset.Prompts(distinct: true);
            JsonlWriter.Write(parse.GetValue(outputFile)!, prompts);
            ConvertCommand.Print(parse, options, prompts.Report, parse.GetValue(outputFile)!);
            return CliApp.ExitOk;
        });
        return command;
    }
}
