using System.CommandLine;
using PrefLab.Data.Reading;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands.Data;

/// <summary>Options the <c>data</c> subcommands share: how a file is read and binarized.</summary>
internal sealed class DataOptions
{
    /// <summary>Format, binarization and bad rows, as every command that reads data files has them.</summary>
    public readonly ReadOptionSet Reading = new();

    public readonly Option<long> Seed = new("--seed")
    {
        Description = "Seed of the random choices (binarization's random other; the mix's samples).",
        DefaultValueFactory = _ => 0,
        HelpName = "N",
    };

    public readonly Option<bool> Json = new("--json") { Description = "Print the report as one JSON object." };

    public void AddTo(Command command)
    {
        Reading.AddTo(command);
        command.Options.Add(Seed);
        command.Options.Add(Json);
    }

    public ReadOptions Read(ParseResult parse) => Reading.Read(parse, parse.GetValue(Seed));

    public void CheckBinarizationApplies(ParseResult parse, IEnumerable<Dataset> datasets) => Reading.CheckBinarizationApplies(parse, datasets);

    public static Argument<string> FileArgument(string description) => new("FILE") { Description = description };

    public static Option<string> Output(string description) => new("--output")
    {
        Description = description,
        Required = true,
        HelpName = "OUT.jsonl",
    };
}
