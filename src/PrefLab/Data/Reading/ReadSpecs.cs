using PrefLab.Data.Binarization;
using PrefLab.Data.Formats;
using PrefLab.Runtime;
using PrefLab.Runtime.Options;

namespace PrefLab.Data.Reading;

/// <summary>How a command reads data files: the format, the binarization of multi-response formats, bad rows.
/// Shared by the <c>data</c> and <c>rm</c> commands so the options mean the same everywhere.</summary>
public sealed class ReadSpecs
{
    public readonly OptionSpec<string?> Format = new("format", $"The data format (default: detected from the first row's fields): {string.Join(", ", DataFormats.Names)}.") { HelpName = "NAME" };
    public readonly OptionSpec<string?> Binarize = new("binarize", BinarizeOptions.StrategyHelp) { HelpName = "STRATEGY" };
    public readonly OptionSpec<string?> Score = new("score", BinarizeOptions.ScoreHelp) { HelpName = "NAME" };
    public readonly OptionSpec<bool> SkipBadRows = new("skip-bad-rows", "Skip malformed rows and count them by reason, instead of stopping at the first with an error naming file, line and field.");

    public IReadOnlyList<OptionSpec> All => [Format, Binarize, Score, SkipBadRows];

    /// <param name="seed">Seed of binarization's random choices.</param>
    public ReadOptions Read(OptionValues values, long seed) =>
        Build(values.Get(Format), values.Get(SkipBadRows), values.Get(Binarize), values.Get(Score), seed);

    /// <summary>The reading these option values mean (for a caller that read them itself).</summary>
    public static ReadOptions Build(string? format, bool skipBadRows, string? strategy, string? score, long seed)
    {
        var binarize = strategy is not null ? BinarizeOptions.FromStrategy(strategy, score, seed) : new BinarizeOptions { Score = score, Seed = seed };
        return new ReadOptions { Format = format, SkipBadRows = skipBadRows, Binarize = binarize };
    }

    /// <summary>--binarize and --score mean something only for multi-response formats: refuse them otherwise
    /// rather than ignore them.</summary>
    public static void CheckBinarizationApplies(string? binarize, string? score, IEnumerable<Dataset> datasets)
    {
        string option = binarize is not null ? "binarize" : score is not null ? "score" : "";
        if (option.Length == 0) return;
        var list = datasets.ToList();
        if (list.Any(d => d.Format.IsMultiResponse)) return;
        string formats = string.Join(", ", list.Select(d => $"{d.Path} is {d.Format.Name}"));
        throw UserError.InOption(option, $"applies only to multi-response formats (ultrafeedback, nectar, helpsteer); {formats}");
    }

    public void CheckBinarizationApplies(OptionValues values, IEnumerable<string> files, ReadOptions read) =>
        CheckBinarizationApplies(values.Get(Binarize), values.Get(Score), files.Select(f => Dataset.Open(f, read)));
}
