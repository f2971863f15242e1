namespace PrefLab.Lab.Execution;

/// <summary>One evaluation item's score (0..1 for correctness-style scorers; any finite number otherwise).</summary>
public readonly record struct ItemScore(string Category, string ItemId, double Score);

/// <summary>
/// A reward model's verdict on one held-out preference pair: <see cref="Correct"/> is 1 when it scored the
/// labelled-chosen response higher (0 otherwise, 0.5 for a tie); <see cref="GoldAgreement"/>, where a gold scorer
/// exists (the World), is 1 when its preference agrees with gold's.
/// </summary>
public readonly record struct PairVerdict(string Subset, string ItemId, double Correct, double? GoldAgreement)
{
    const string Separator = " · ";

    /// <summary>The subset name of a pair of <paramref name="set"/> in <paramref name="category"/>.</summary>
    public static string SubsetOf(string set, string category) => set + Separator + category;

    /// <summary>The category part of <see cref="Subset"/>, or null when it names none.</summary>
    public string? Category => Subset.IndexOf(Separator, StringComparison.Ordinal) is int at and >= 0 ? Subset[(at + Separator.Length)..] : null;
}

/// <summary>What a node produced besides its folder. Training nodes return <see cref="None"/> (their metrics are read
/// from <c>metrics.jsonl</c> in the output folder); evaluations return item scores; RM evaluations return verdicts.</summary>
public sealed record NodeResult
{
    public static NodeResult None { get; } = new();

    public IReadOnlyList<ItemScore>? Items { get; init; }
    public IReadOnlyList<PairVerdict>? Verdicts { get; init; }

    public static NodeResult Evaluation(IReadOnlyList<ItemScore> items) => new() { Items = items };
    public static NodeResult RewardModelEvaluation(IReadOnlyList<PairVerdict> verdicts) => new() { Verdicts = verdicts };
}
