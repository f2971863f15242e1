using System.Globalization;
using System.Text.RegularExpressions;

namespace PrefLab.Text.Tokenization;

internal static class CodePoints
{
    /// <summary>1, or 2 where a surrogate pair starts at <paramref name="index"/>.</summary>
    public static int LengthAt(string s, int index) =>
        char.IsHighSurrogate(s[index]) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1]) ? 2 : 1;

    /// <summary>The code point at <paramref name="index"/>; a lone surrogate is returned as itself.</summary>
    public static int At(string s, int index) =>
        LengthAt(s, index) == 2 ? char.ConvertToUtf32(s[index], s[index + 1]) : s[index];
}

/// <summary>
/// Runs a .NET regex with the code-point semantics Hugging Face's (Oniguruma, over UTF-8) has. .NET matches
/// UTF-16 units, so a letter outside the BMP (say U+20021, a CJK ideograph) is two surrogates to it, neither
/// of them \p{L}, and a pattern like <c>\p{L}+</c> would split it away from its neighbours. Matching runs on a
/// view in which each such pair is one BMP stand-in of the same Unicode category; positions map back.
/// </summary>
internal static class CodePointRegex
{
    public static IEnumerable<(int Start, int End)> Matches(Regex regex, string text)
    {
        int firstPair = -1;
        for (int i = 0; i < text.Length; i++)
            if (char.IsSurrogate(text[i])) { firstPair = i; break; }
        if (firstPair < 0)
        {
            for (var m = regex.Match(text); m.Success; m = m.NextMatch())
                yield return (m.Index, m.Index + m.Length);
            yield break;
        }
        var view = new char[text.Length];
        var viewToText = new int[text.Length + 1];
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            viewToText[n] = i;
            if (CodePoints.LengthAt(text, i) == 2)
            {
                view[n++] = StandIn(CharUnicodeInfo.GetUnicodeCategory(text, i));
                i += 2;
            }
            else view[n++] = text[i++];
        }
        viewToText[n] = text.Length;
        string viewText = new(view, 0, n);
        for (var m = regex.Match(viewText); m.Success; m = m.NextMatch())
            yield return (viewToText[m.Index], viewToText[m.Index + m.Length]);
    }

    /// <summary>A BMP char of the same general category (none of them appears literally in tokenizer patterns).</summary>
    static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u0391',
        UnicodeCategory.LowercaseLetter => '\u03B1',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u4E00',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u2018',
        UnicodeCategory.FinalQuotePunctuation => '\u2019',
        UnicodeCategory.OtherPunctuation => '\u2020',
        UnicodeCategory.MathSymbol => '\u2200',
        UnicodeCategory.CurrencySymbol => '\u20AC',
        UnicodeCategory.ModifierSymbol => '\u02C2',
        UnicodeCategory.OtherSymbol => '\u2600',
        UnicodeCategory.Format => '\u2060',
        UnicodeCategory.PrivateUse => '\uE000',
        _ => '\u0378', // unassigned in the BMP, like an unassigned supplementary code point
    };
}
