using System.CommandLine;
using PrefLab.Data.Reading;
using PrefLab.Data.Writing;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.Data;

/// <summary><c>preflab data convert FILE --output OUT.jsonl</c>: any format to PrefLab's normalised JSONL.</summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var options = new DataOptions();
        var file = DataOptions.FileArgument("A data file: JSONL (optionally .gz) or Parquet.");
        var outputFile = DataOptions.Output("Where to write (atomically) the converted JSONL.");
        var command = new Command("convert", "Convert a dataset to PrefLab's JSONL: preference formats to pairwise message lists {prompt, chosen, rejected, margin} keeping id, source, category and subset; SFT to {messages}; prompts to {prompt} or {messages}; text to {text}.")
        {
            file, outputFile,
        };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var dataset = Dataset.Open(parse.GetValue(file)!, options.Read(parse));
            options.CheckBinarizationApplies(parse, [dataset]);
            var records = dataset.Records();
            JsonlWriter.Write(parse.GetValue(outputFile)!, records);
            Print(parse, options, records.Report, parse.GetValue(outputFile)!);
            return CliApp.ExitOk;
        });
        return command;
    }

    internal static void Print(ParseResult parse, DataOptions options, ReadReport report, string outputPath)
    {
        var output = parse.InvocationConfiguration.Output;
        if (parse.GetValue(options.Json))
        {
            var json = report.ToJson();
            json["output"] = outputPath;
            output.WriteLine(json.ToJsonString(JsonOptions.Compact));
        }
        else
        {
            output.WriteLine(report.ToString());
            output.WriteLine($"wrote {report.Produced} {ReadReport.Unit(report.Kind)} to {outputPath}");
        }
    }
}
