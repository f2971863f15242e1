using System.Globalization;

namespace PrefLab.World.Language;

/// <summary>
/// The World's surface form: lowercase words and punctuation separated by single spaces, numbers written
/// digit by digit ("4 2" for 42). Everything the World emits goes through <see cref="Join"/>.
/// </summary>
public static class WorldText
{
    /// <summary>A non-negative number as separate digit tokens: 42 becomes "4 2".</summary>
    public static string Number(int value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), "the World has no negative numbers");
        return string.Join(' ', value.ToString(CultureInfo.InvariantCulture).ToCharArray());
    }

    /// <summary>Joins pieces (each may hold several tokens) into one normalized text.</summary>
    public static string Join(params IEnumerable<string> pieces) => Normalize(string.Join(' ', pieces));

    /// <summary>Splits on any whitespace and joins with single spaces.</summary>
    public static string Normalize(string text) => string.Join(' ', Tokens(text));

    public static string[] Tokens(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    public static bool IsDigit(string token) => token.Length == 1 && token[0] is >= '0' and <= '9';

    /// <summary>Fills "{name}" placeholders.</summary>
    public static string Fill(string template, params (string Name, string Value)[] values)
    {
        string text = template;
        foreach (var (name, value) in values) text = text.Replace("{" + name + "}", value, StringComparison.Ordinal);
        if (text.Contains('{')) throw new InvalidOperationException($"unfilled placeholder in '{text}'");
        return Normalize(text);
    }

    /// <summary>A statement without its final " ." (to embed it in a question or a longer sentence).</summary>
    public static string WithoutPeriod(string sentence)
    {
        string s = Normalize(sentence);
        return s.EndsWith(" .", StringComparison.Ordinal) ? s[..^2] : s;
    }
}
