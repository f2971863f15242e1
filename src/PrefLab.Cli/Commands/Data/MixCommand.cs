using System.CommandLine;
using PrefLab.Data.Mixing;
using PrefLab.Data.Reading;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.Data;

/// <summary><c>preflab data mix --input FILE[:WEIGHT|:N] ... --output OUT.jsonl</c>.</summary>
public static class MixCommand
{
    public static Command Create()
    {
        var options = new DataOptions();
        var inputs = new Option<string[]>("--input")
        {
            Description = "A dataset to mix, repeated: FILE, FILE:WEIGHT (a number with a decimal point: without --size the fraction to take, at most 1.0; with --size a share) or FILE:N (a whole number of records).",
            Required = true,
            HelpName = "FILE[:WEIGHT|:N]",
        };
        var outputFile = DataOptions.Output("Where to write (atomically) the mixed JSONL.");
        var size = new Option<long?>("--size")
        {
            Description = "Total records to write: counts given as :N are taken as they are, weights share the rest.",
            HelpName = "N",
        };
        var command = new Command("mix", "Mix datasets of one kind by weights or sizes, seeded. A prompt taken from one input is not taken again from a later one (the input listed first wins); records without a source get their input's file name.")
        {
            inputs, outputFile, size,
        };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var mixInputs = parse.GetValue(inputs)!.Select(MixInput.Parse).ToList();
            var read = options.Read(parse);
            options.CheckBinarizationApplies(parse, mixInputs.Select(i => Dataset.Open(i.Path, read)));
            if (parse.GetValue(size) is long n && n <= 0) throw UserError.InOption("size", "must be positive");
            var report = DatasetMixer.Mix(mixInputs, parse.GetValue(outputFile)!,
                new MixOptions { Read = read, Size = parse.GetValue(size), Seed = parse.GetValue(options.Seed) });
            if (parse.GetValue(options.Json)) output.WriteLine(report.ToJson().ToJsonString(JsonOptions.Compact));
            else output.Write(report.ToString());
            return CliApp.ExitOk;
        });
        return command;
    }
}
