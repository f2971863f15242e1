using System.CommandLine;
using PrefLab.Cli.Commands.Training;
using PrefLab.Data.Reading;

namespace PrefLab.Cli.Commands;

/// <summary>How a command reads data files: the format, the binarization of multi-response formats, bad rows.
/// Shared by the <c>data</c> and <c>rm</c> commands so the options mean the same everywhere.</summary>
internal sealed class ReadOptionSet
{
    static readonly ReadSpecs Specs = new();   // the options' one home, shared with the library's training commands

    public readonly Option<string?> Format = SpecOptions.ToOption(Specs.Format);
    public readonly Option<string?> Binarize = SpecOptions.ToOption(Specs.Binarize);
    public readonly Option<string?> Score = SpecOptions.ToOption(Specs.Score);
    public readonly Option<bool> SkipBadRows = SpecOptions.ToOption(Specs.SkipBadRows);

    public void AddTo(Command command)
    {
        command.Options.Add(Format);
        command.Options.Add(Binarize);
        command.Options.Add(Score);
        command.Options.Add(SkipBadRows);
    }

    /// <param name="seed">Seed of binarization's random choices.</param>
    public ReadOptions Read(ParseResult parse, long seed) =>
        ReadSpecs.Build(parse.GetValue(Format), parse.GetValue(SkipBadRows), parse.GetValue(Binarize), parse.GetValue(Score), seed);

    /// <summary>--binarize and --score mean something only for multi-response formats: refuse them otherwise
    /// rather than ignore them.</summary>
    public void CheckBinarizationApplies(ParseResult parse, IEnumerable<Dataset> datasets) =>
        ReadSpecs.CheckBinarizationApplies(parse.GetValue(Binarize), parse.GetValue(Score), datasets);

    public void CheckBinarizationApplies(ParseResult parse, IEnumerable<string> files, ReadOptions read) =>
        CheckBinarizationApplies(parse, files.Select(f => Dataset.Open(f, read)));
}
