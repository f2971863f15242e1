using PrefLab.Data.Formats;
using PrefLab.Runtime;

namespace PrefLab.Data.Binarization;

/// <summary>Which pairs a multi-response row (several scored responses to one prompt) becomes.</summary>
public enum PairSelection
{
    /// <summary>The best response (first in file order among equals) against one other chosen uniformly at
    /// random; a tie when that other scores the same. The paper's UltraFeedback choice (after Zephyr).</summary>
    BestVsRandom,
    /// <summary>The best against the worst (first in file order among equals); a tie when all score the same.</summary>
    BestVsWorst,
    /// <summary>Every pair of responses (i &lt; j in file order), the higher-scored one chosen; equal scores are ties.</summary>
    AllPairs,
}

/// <summary>
/// Binarization of multi-response formats: a pair selection and the score it ranks by. Named strategies
/// (<see cref="FromStrategy"/>): <c>mean-aspects</c> = best vs random by the mean of UltraFeedback's
/// fine-grained aspect ratings (the paper's choice; the default for ultrafeedback); <c>overall</c> = best vs
/// random by UltraFeedback's overall_score; <c>best-random</c>, <c>best-worst</c>, <c>all-pairs</c> = that
/// selection by the format's default score (ultrafeedback: mean-aspects; nectar: rank, 1 best; helpsteer:
/// helpfulness) or by <see cref="Score"/>. The random choices come from
/// <c>Seeding.Stream(Seed, "data/binarize")</c>, restarted at every pass over a file.
/// </summary>
public sealed record BinarizeOptions
{
    public PairSelection Selection { get; init; } = PairSelection.BestVsRandom;

    /// <summary>The score to rank by (ultrafeedback: mean-aspects, overall; nectar: rank; helpsteer:
    /// helpfulness, correctness, coherence, complexity, verbosity, or mean = the mean of helpfulness,
    /// correctness and coherence); null = the format's default.</summary>
    public string? Score { get; init; }

    public long Seed { get; init; }

    /// <summary>A named binarization strategy: the pair selection, the score it implies (null: the format's default
    /// or <c>--score</c>) and one line for help texts.</summary>
    public sealed record Strategy(string Name, PairSelection Selection, string? ImpliedScore, string Description);

    /// <summary>Every strategy, in the order help texts list them: the one home of these names (CLI, grid files, help).</summary>
    public static IReadOnlyList<Strategy> Strategies { get; } =
    [
        new("mean-aspects", PairSelection.BestVsRandom, "mean-aspects", "best vs a random other by the mean of aspect ratings: the paper's choice, the default for ultrafeedback"),
        new("overall", PairSelection.BestVsRandom, "overall", "the same by overall_score"),
        new("best-random", PairSelection.BestVsRandom, null, "best vs a random other by the format's score"),
        new("best-worst", PairSelection.BestVsWorst, null, "best vs worst by the format's score"),
        new("all-pairs", PairSelection.AllPairs, null, "every pair with different scores"),
    ];

    public static IReadOnlyList<string> StrategyNames { get; } = Strategies.Select(s => s.Name).ToArray();

    /// <summary>The strategy of that name (case-insensitive), or null.</summary>
    public static Strategy? FindStrategy(string name) =>
        Strategies.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Help text of <c>--binarize</c> (and the lab grid's <c>binarize</c> field).</summary>
    public static string StrategyHelp =>
        $"How multi-response formats ({MultiResponseFormatNames}) become pairs: " +
        string.Join("; ", Strategies.Select(s => $"{s.Name} ({s.Description})")) + ".";

    /// <summary>Help text of <c>--score</c>: each multi-response format's scores, its default first.</summary>
    public static string ScoreHelp =>
        "The score best-random, best-worst and all-pairs rank by: " +
        string.Join("; ", DataFormats.All.Where(f => f.IsMultiResponse).Select(f => $"{f.Name} {string.Join("|", f.ScoreNames)}")) + ".";

    static string MultiResponseFormatNames => string.Join(", ", DataFormats.All.Where(f => f.IsMultiResponse).Select(f => f.Name));

    /// <summary>Options for a named strategy; <paramref name="score"/> may not contradict a strategy that
    /// names its score (mean-aspects, overall).</summary>
    public static BinarizeOptions FromStrategy(string strategy, string? score = null, long seed = 0)
    {
        var named = FindStrategy(strategy)
            ?? throw UserError.InOption("binarize", $"unknown strategy '{strategy}'; known: {string.Join(", ", StrategyNames)}");
        string? implied = named.ImpliedScore;
        if (implied is not null && score is not null && !score.Equals(implied, StringComparison.OrdinalIgnoreCase))
            throw UserError.InOption("score", $"strategy '{named.Name}' ranks by {implied}, not '{score}'; use " +
                OrList(Strategies.Where(s => s.ImpliedScore is null).Select(s => s.Name).ToArray()) + " with --score");
        return new BinarizeOptions { Selection = named.Selection, Score = implied ?? score, Seed = seed };
    }

    // "a, b or c"
    static string OrList(IReadOnlyList<string> names) =>
        names.Count <= 1 ? string.Join("", names) : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];

    public static string SelectionName(PairSelection selection) => selection switch
    {
        PairSelection.BestVsRandom => "best-random",
        PairSelection.BestVsWorst => "best-worst",
        _ => "all-pairs",
    };

    /// <summary>"best-random by mean-aspects, seed 0" for a format.</summary>
    public string Describe(DataFormat format) =>
        $"{SelectionName(Selection)} by {format.ResolveScore(Score)}" + (Selection == PairSelection.BestVsRandom ? $", seed {Seed}" : "");
}
