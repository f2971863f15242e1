using System.Text;
using System.Text.RegularExpressions;

namespace PrefLab.Evaluation.Scorers;

/// <summary>
/// Final-answer extraction and comparison for math word problems (GSM8K and kin). Numbers are compared by value
/// through a canonical text form: thousands separators, a currency sign and a trailing period go away,
/// "42.0" and "42.00" become "42", "-0" becomes "0", ".5" becomes "0.5", a Unicode minus counts as a minus.
/// </summary>
/// <remarks>
/// A number is a run of digits (grouped by commas in threes, like "1,234,567", or ungrouped) with an optional
/// decimal part, an optional leading minus attached to the digits, and an optional "$". It must not continue a
/// word or another number ("x2", "1.2.3" gives "1.2"); a minus right after a digit or letter is a hyphen
/// ("5-10" gives 5 and 10). Not recognised: fractions ("1/2" gives 1 and 2), scientific notation, spelled-out
/// numbers, percent signs (ignored: "50%" gives 50).
/// </remarks>
public static partial class NumericAnswer
{
    /// <summary>The GSM8K answer marker.</summary>
    public const string Gsm8kMarker = "####";

    [GeneratedRegex(@"(?<![\w.])\$?(?<sign>[-\u2212])?\$?(?<digits>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?!\d)")]
    private static partial Regex NumberPattern();

    /// <summary>The canonical number extracted from <paramref name="text"/> by <paramref name="mode"/>, or null when there is none.</summary>
    public static string? Extract(string text, AnswerExtraction mode) => mode switch
    {
        AnswerExtraction.Gsm8kMarker => AfterGsm8kMarker(text),
        AnswerExtraction.LastNumber => LastNumber(text),
        AnswerExtraction.Gsm8kMarkerThenLastNumber => AfterGsm8kMarker(text) ?? LastNumber(text),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    /// <summary>The first number after the first "####", on the marker's line; null without a marker or number.</summary>
    public static string? AfterGsm8kMarker(string text)
    {
        int marker = text.IndexOf(Gsm8kMarker, StringComparison.Ordinal);
        if (marker < 0) return null;
        int start = marker + Gsm8kMarker.Length;
        int end = text.IndexOf('\n', start);
        string rest = end < 0 ? text[start..] : text[start..end];
        var match = NumberPattern().Match(rest);
        return match.Success ? Canonical(match) : null;
    }

    /// <summary>The last number in the text, or null when it holds none.</summary>
    public static string? LastNumber(string text)
    {
        Match? last = null;
        for (var match = NumberPattern().Match(text); match.Success; match = match.NextMatch()) last = match;
        return last is null ? null : Canonical(last);
    }

    /// <summary>Every number in the text, in order, canonical.</summary>
    public static IReadOnlyList<string> AllNumbers(string text) =>
        NumberPattern().Matches(text).Select(Canonical).ToList();

    /// <summary>
    /// The canonical form of a number written alone ("1,000", "$42.50", "-3.", "42.0", " 7 "), or null when the
    /// text is not one number.
    /// </summary>
    public static string? Normalize(string number)
    {
        string trimmed = number.Trim();
        if (trimmed.EndsWith('.')) trimmed = trimmed[..^1];
        var match = NumberPattern().Match(trimmed);
        return match.Success && match.Index == 0 && match.Length == trimmed.Length ? Canonical(match) : null;
    }

    /// <summary>
    /// 1 when the number extracted from <paramref name="output"/> equals <paramref name="gold"/> (a number in any
    /// accepted spelling), else 0.
    /// </summary>
    public static double Score(string output, string gold, AnswerExtraction mode = AnswerExtraction.Gsm8kMarkerThenLastNumber)
    {
        string canonicalGold = Normalize(gold) ?? throw new ArgumentException($"the gold answer '{gold}' is not a number", nameof(gold));
        return Extract(output, mode) == canonicalGold ? 1.0 : 0.0;
    }

    static string Canonical(Match match)
    {
        bool negative = match.Groups["sign"].Success;
        string digits = match.Groups["digits"].Value.Replace(",", "", StringComparison.Ordinal);
        int point = digits.IndexOf('.');
        string whole = point < 0 ? digits : digits[..point];
        string fraction = point < 0 ? "" : digits[(point + 1)..];
        whole = whole.TrimStart('0');
        fraction = fraction.TrimEnd('0');
        if (whole.Length == 0) whole = "0";
        var canonical = new StringBuilder();
        if (negative && (whole != "0" || fraction.Length > 0)) canonical.Append('-');
        canonical.Append(whole);
        if (fraction.Length > 0) canonical.Append('.').Append(fraction);
        return canonical.ToString();
    }
}
