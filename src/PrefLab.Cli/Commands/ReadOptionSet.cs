using System.CommandLine;
using PrefLab.Data.Binarization;
using PrefLab.Data.Formats;
using PrefLab.Data.Reading;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands;

/// <summary>How a command reads data files: the format, the binarization of multi-response formats, bad rows.
/// Shared by the <c>data</c> and <c>rm</c> commands so the options mean the same everywhere.</summary>
internal sealed class ReadOptionSet
{
    public readonly Option<string?> Format = new("--format")
    {
        Description = $"The data format (default: detected from the first row's fields): {string.Join(", ", DataFormats.Names)}.",
        HelpName = "NAME",
    };

    public readonly Option<string?> Binarize = new("--binarize")
    {
        Description = BinarizeOptions.StrategyHelp,
        HelpName = "STRATEGY",
    };

    public readonly Option<string?> Score = new("--score")
    {
        Description = BinarizeOptions.ScoreHelp,
        HelpName = "NAME",
    };

    public readonly Option<bool> SkipBadRows = new("--skip-bad-rows")
    {
        Description = "Skip malformed rows and count them by reason, instead of stopping at the first with an error naming file, line and field.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Format);
        command.Options.Add(Binarize);
        command.Options.Add(Score);
        command.Options.Add(SkipBadRows);
    }

    /// <param name="seed">Seed of binarization's random choices.</param>
    public ReadOptions Read(ParseResult parse, long seed)
    {
        string? strategy = parse.GetValue(Binarize), score = parse.GetValue(Score);
        var binarize = strategy is not null ? BinarizeOptions.FromStrategy(strategy, score, seed) : new BinarizeOptions { Score = score, Seed = seed };
        return new ReadOptions { Format = parse.GetValue(Format), SkipBadRows = parse.GetValue(SkipBadRows), Binarize = binarize };
    }

    /// <summary>--binarize and --score mean something only for multi-response formats: refuse them otherwise
    /// rather than ignore them.</summary>
    public void CheckBinarizationApplies(ParseResult parse, IEnumerable<Dataset> datasets)
    {
        string option = parse.GetValue(Binarize) is not null ? "binarize" : parse.GetValue(Score) is not null ? "score" : "";
        if (option.Length == 0) return;
        var list = datasets.ToList();
        if (list.Any(d => d.Format.IsMultiResponse)) return;
        string formats = string.Join(", ", list.Select(d => $"{d.Path} is {d.Format.Name}"));
        throw UserError.InOption(option, $"applies only to multi-response formats (ultrafeedback, nectar, helpsteer); {formats}");
    }

    public void CheckBinarizationApplies(ParseResult parse, IEnumerable<string> files, ReadOptions read) =>
        CheckBinarizationApplies(parse, files.Select(f => Dataset.Open(f, read)));
}
