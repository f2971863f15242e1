using System.Text;
using System.Text.RegularExpressions;

namespace PrefLab.Evaluation.Scorers;

/// <summary>Exact match of a generated answer against one or more references, after the chosen normalisation.</summary>
public static partial class ExactMatch
{
    [GeneratedRegex(@"\b(a|an|the)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Articles();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>The text as compared under <paramref name="options"/>.</summary>
    public static string Normalize(string text, ExactMatchOptions? options = null)
    {
        options ??= ExactMatchOptions.Default;
        if (options.Trim) text = text.Trim();
        if (options.NumbersAsValues && NumericAnswer.Normalize(text) is { } number) return number;
        if (options.IgnoreCase) text = text.ToLowerInvariant();
        if (options.IgnorePunctuation)
        {
            var kept = new StringBuilder(text.Length);
            foreach (char c in text)
                if (!char.IsPunctuation(c) && !char.IsSymbol(c)) kept.Append(c);
            text = kept.ToString();
        }
        if (options.IgnoreArticles) text = Articles().Replace(text, " ");
        if (options.CollapseWhitespace) text = Whitespace().Replace(text, " ").Trim();
        return text;
    }

    /// <summary>True when prediction and reference are equal after normalisation.</summary>
    public static bool Matches(string prediction, string reference, ExactMatchOptions? options = null) =>
        Normalize(prediction, options) == Normalize(reference, options);

    /// <summary>1 when the prediction matches any reference, else 0.</summary>
    public static double Score(string prediction, IEnumerable<string> references, ExactMatchOptions? options = null)
    {
        string normalized = Normalize(prediction, options);
        return references.Any(reference => Normalize(reference, options) == normalized) ? 1.0 : 0.0;
    }
}
