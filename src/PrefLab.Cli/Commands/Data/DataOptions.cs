using System.CommandLine;
using PrefLab.Data;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands.Data;

/// <summary>Options the <c>data</c> subcommands share: how a file is read and binarized.</summary>
internal sealed class DataOptions
{
    public readonly Option<string?> Format = new("--format")
    {
        Description = $"The format of the file (of every input, for mix; default: detected from the first row's fields): {string.Join(", ", DataFormats.Names)}.",
        HelpName = "NAME",
    };

    public readonly Option<string?> Binarize = new("--binarize")
    {
        Description = "How multi-response formats (ultrafeedback, nectar, helpsteer) become pairs: mean-aspects (best vs a random other by the mean of aspect ratings: the paper's choice, the default for ultrafeedback), overall (same by overall_score), best-random, best-worst, all-pairs (by the format's default score: nectar rank, helpsteer helpfulness).",
        HelpName = "STRATEGY",
    };

    public readonly Option<string?> Score = new("--score")
    {
        Description = "The score best-random, best-worst and all-pairs rank by: ultrafeedback mean-aspects|overall; nectar rank; helpsteer helpfulness|correctness|coherence|complexity|verbosity|mean (of the first three).",
        HelpName = "NAME",
    };

    public readonly Option<long> Seed = new("--seed")
    {
        Description = "Seed of the random choices (binarization's random other; the mix's samples).",
        DefaultValueFactory = _ => 0,
        HelpName = "N",
    };

    public readonly Option<bool> SkipBadRows = new("--skip-bad-rows")
    {
        Description = "Skip malformed rows and count them by reason, instead of stopping at the first with an error naming file, line and field.",
    };

    public readonly Option<bool> Json = new("--json") { Description = "Print the report as one JSON object." };

    public void AddTo(Command command)
    {
        command.Options.Add(Format);
        command.Options.Add(Binarize);
        command.Options.Add(Score);
        command.Options.Add(Seed);
        command.Options.Add(SkipBadRows);
        command.Options.Add(Json);
    }

    public ReadOptions Read(ParseResult parse)
    {
        string? strategy = parse.GetValue(Binarize), score = parse.GetValue(Score);
        long seed = parse.GetValue(Seed);
        var binarize = strategy is not null
            ? BinarizeOptions.FromStrategy(strategy, score, seed)
            : new BinarizeOptions { Score = score, Seed = seed };
        return new ReadOptions { Format = parse.GetValue(Format), SkipBadRows = parse.GetValue(SkipBadRows), Binarize = binarize };
    }

    /// <summary>--binarize and --score mean something only for multi-response formats: refuse them otherwise
    /// rather than ignore them.</summary>
    public void CheckBinarizationApplies(ParseResult parse, IEnumerable<Dataset> datasets)
    {
        var list = datasets.ToList();
        if (list.Any(d => d.Format.IsMultiResponse)) return;
        string option = parse.GetValue(Binarize) is not null ? "binarize" : parse.GetValue(Score) is not null ? "score" : "";
        if (option.Length == 0) return;
        string formats = string.Join(", ", list.Select(d => $"{d.Path} is {d.Format.Name}"));
        throw UserError.InOption(option, $"applies only to multi-response formats (ultrafeedback, nectar, helpsteer); {formats}");
    }

    public static Argument<string> FileArgument(string description) => new("FILE") { Description = description };

    public static Option<string> Output(string description) => new("--output")
    {
        Description = description,
        Required = true,
        HelpName = "OUT.jsonl",
    };
}
