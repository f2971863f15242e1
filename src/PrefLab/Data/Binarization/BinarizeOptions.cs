using PrefLab.Runtime;

namespace PrefLab.Data;

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

    public static IReadOnlyList<string> StrategyNames { get; } = ["mean-aspects", "overall", "best-random", "best-worst", "all-pairs"];

    /// <summary>Options for a named strategy; <paramref name="score"/> may not contradict a strategy that
    /// names its score (mean-aspects, overall).</summary>
    public static BinarizeOptions FromStrategy(string strategy, string? score = null, long seed = 0)
    {
        var (selection, implied) = strategy.ToLowerInvariant() switch
        {
            "mean-aspects" => (PairSelection.BestVsRandom, "mean-aspects"),
            "overall" => (PairSelection.BestVsRandom, "overall"),
            "best-random" => (PairSelection.BestVsRandom, (string?)null),
            "best-worst" => (PairSelection.BestVsWorst, null),
            "all-pairs" => (PairSelection.AllPairs, null),
            _ => throw UserError.InOption("binarize", $"unknown strategy '{strategy}'; known: {string.Join(", ", StrategyNames)}"),
        };
        if (implied is not null && score is not null && !score.Equals(implied, StringComparison.OrdinalIgnoreCase))
            throw UserError.InOption("score", $"strategy '{strategy}' ranks by {implied}, not '{score}'; use best-random, best-worst or all-pairs with --score");
        return new BinarizeOptions { Selection = selection, Score = implied ?? score, Seed = seed };
    }

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
