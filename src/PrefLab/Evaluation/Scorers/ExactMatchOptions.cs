namespace PrefLab.Evaluation.Scorers;

/// <summary>
/// What exact match forgives. Applied in this order: trim, numbers as values (when both sides are single
/// numbers they compare by value, see <see cref="NumericAnswer.Normalize"/>), case, punctuation and symbols,
/// English articles (a, an, the), whitespace runs.
/// </summary>
public sealed record ExactMatchOptions
{
    public bool Trim { get; init; } = true;
    public bool NumbersAsValues { get; init; } = true;
    public bool IgnoreCase { get; init; } = true;
    public bool IgnorePunctuation { get; init; }
    public bool IgnoreArticles { get; init; }
    public bool CollapseWhitespace { get; init; } = true;

    /// <summary>Trim, case-insensitive, whitespace runs as one space, numbers by value (the default).</summary>
    public static ExactMatchOptions Default { get; } = new();

    /// <summary>Character-for-character equality.</summary>
    public static ExactMatchOptions Strict { get; } = new()
    {
        Trim = false, NumbersAsValues = false, IgnoreCase = false, CollapseWhitespace = false,
    };

    /// <summary>SQuAD's normalisation: lower case, no punctuation, no articles, single spaces.</summary>
    public static ExactMatchOptions Squad { get; } = new()
    {
        NumbersAsValues = false, IgnorePunctuation = true, IgnoreArticles = true,
    };
}
