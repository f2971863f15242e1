using System.CommandLine;
using PrefLab.Data;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands.RewardModels;

/// <summary>How the rm commands read data: format, binarization of multi-response formats, bad rows.</summary>
internal sealed class RmReadOptions
{
    public readonly Option<string?> Format = new("--format")
    {
        Description = $"Data format (default: detected from the first row's fields): {string.Join(", ", DataFormats.Names)}.",
        HelpName = "NAME",
    };

    public readonly Option<string?> Binarize = new("--binarize")
    {
        Description = "How multi-response formats (ultrafeedback, nectar, helpsteer) become pairs: mean-aspects (the paper's choice, the default for ultrafeedback), overall, best-random, best-worst, all-pairs.",
        HelpName = "STRATEGY",
    };

    public readonly Option<string?> Score = new("--score")
    {
        Description = "The score best-random, best-worst and all-pairs rank by (ultrafeedback mean-aspects|overall; nectar rank; helpsteer helpfulness|correctness|coherence|complexity|verbosity|mean).",
        HelpName = "NAME",
    };

    public readonly Option<bool> SkipBadRows = new("--skip-bad-rows") { Description = "Skip malformed rows (counted by reason) instead of stopping at the first." };

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

    /// <summary>--binarize and --score mean something only for multi-response formats: refused otherwise.</summary>
    public void CheckBinarizationApplies(ParseResult parse, IEnumerable<string> files, ReadOptions read)
    {
        string option = parse.GetValue(Binarize) is not null ? "binarize" : parse.GetValue(Score) is not null ? "score" : "";
        if (option.Length == 0) return;
        var datasets = files.Select(f => Dataset.Open(f, read)).ToList();
        if (datasets.Any(d => d.Format.IsMultiResponse)) return;
        throw UserError.InOption(option, $"applies only to multi-response formats (ultrafeedback, nectar, helpsteer); {string.Join(", ", datasets.Select(d => $"{d.Path} is {d.Format.Name}"))}");
    }
}
