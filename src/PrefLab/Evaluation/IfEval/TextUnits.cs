using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PrefLab.Evaluation.IfEval;

/// <summary>
/// How IFEval counts words, sentences and capitalised words, and Python's case predicates. The original leans on
/// NLTK; these are our own rules, written to agree with it on ordinary prose (differences are listed per method).
/// </summary>
public static partial class TextUnits
{
    [GeneratedRegex(@"\w+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\S+")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"^(?:\p{L}\.)+\p{L}$")]
    private static partial Regex DottedAbbreviation();

    [GeneratedRegex(@"[^\s,;:!?()\[\]{}<>""\u201C\u201D]+")]
    private static partial Regex WordTokenPattern();

    [GeneratedRegex(@"^(?<stem>.+?)(?<clitic>'s|'m|'d|'ll|'re|'ve|n't)$", RegexOptions.IgnoreCase)]
    private static partial Regex Contraction();

    [GeneratedRegex(@"^(?<first>can)(?<second>not)$|^(?<first>gon|got|wan)(?<second>na)$|^(?<first>gim|lem)(?<second>me)$", RegexOptions.IgnoreCase)]
    private static partial Regex FusedWords();

    /// <summary>Words as IFEval counts them: maximal runs of word characters (regex \w+), so "don't" is two.</summary>
    public static int CountWords(string text) => WordPattern().Count(text);

    /// <summary>
    /// Sentences, approximating NLTK's Punkt (English) as IFEval uses it. A sentence ends at a whitespace-separated
    /// token whose last character, before closing quotes, brackets or markdown emphasis, is '?' or '!', or a '.'
    /// that does not end an abbreviation (a known one such as "Mr." or "e.g.", a dotted one like "U.S.", or a
    /// single-letter initial); an ellipsis ends a sentence only before a capitalised word. Line breaks alone do not
    /// end sentences (as in Punkt). Empty text has no sentences. Punkt's learned statistics are not reproduced, so
    /// rare abbreviations count as sentence ends.
    /// </summary>
    public static int CountSentences(string text) => SplitSentences(text).Count;

    /// <summary>The sentences <see cref="CountSentences"/> counts, trimmed.</summary>
    public static IReadOnlyList<string> SplitSentences(string text)
    {
        var tokens = TokenPattern().Matches(text);
        var sentences = new List<string>();
        if (tokens.Count == 0) return sentences;
        int start = tokens[0].Index;
        for (int i = 0; i < tokens.Count - 1; i++)
        {
            if (!EndsSentence(tokens[i].Value, tokens[i + 1].Value)) continue;
            int end = tokens[i].Index + tokens[i].Length;
            sentences.Add(text[start..end].Trim());
            start = tokens[i + 1].Index;
        }
        sentences.Add(text[start..].Trim());
        return sentences;
    }

    static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "inc", "ltd", "co", "corp", "dept", "est",
        "approx", "fig", "no", "nos", "vol", "pp", "ed", "eds", "gen", "gov", "sgt", "capt", "lt", "col", "rev", "hon",
        "ave", "blvd", "rd", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "e.g", "i.e", "u.s", "u.k", "a.m", "p.m", "ph.d",
    };

    const string Closers = "\"'\u201D\u2019)]}*_";
    const string Openers = "\"'\u201C\u2018([{*_";

    static bool EndsSentence(string token, string next)
    {
        string core = token.TrimEnd(Closers.ToCharArray());
        if (core.Length == 0) return false;
        char last = core[^1];
        if (last is '?' or '!') return true;
        if (last == '\u2026' || core.EndsWith("..", StringComparison.Ordinal)) return StartsCapitalised(next);
        if (last != '.') return false;
        string word = core[..^1].TrimStart(Openers.ToCharArray());
        if (word.Length == 1 && char.IsLetter(word[0])) return false;
        if (Abbreviations.Contains(word) || DottedAbbreviation().IsMatch(word)) return false;
        return true;
    }

    static bool StartsCapitalised(string token)
    {
        foreach (char c in token)
            if (char.IsLetterOrDigit(c)) return char.IsUpper(c);
        return false;
    }

    /// <summary>
    /// Word tokens for counting capitalised words, approximating NLTK's word_tokenize: split at whitespace and at
    /// , ; : ! ? brackets and double quotes; trim quotes, periods and markdown emphasis from the ends; split
    /// English clitics ("DON'T" is "DO" + "N'T", "I'M" is "I" + "'M") and "cannot" / "gonna" / "gimme" kinds.
    /// Hyphenated words stay one token.
    /// </summary>
    public static IReadOnlyList<string> WordTokens(string text)
    {
        var tokens = new List<string>();
        foreach (Match match in WordTokenPattern().Matches(text))
        {
            string token = match.Value.Trim('\'', '\u2018', '\u2019', '`', '.', '*', '_', '\u2026');
            if (token.Length == 0) continue;
            var fused = FusedWords().Match(token);
            var clitic = Contraction().Match(token);
            if (fused.Success)
            {
                tokens.Add(fused.Groups["first"].Value);
                tokens.Add(fused.Groups["second"].Value);
            }
            else if (clitic.Success)
            {
                tokens.Add(clitic.Groups["stem"].Value);
                tokens.Add(clitic.Groups["clitic"].Value);
            }
            else tokens.Add(token);
        }
        return tokens;
    }

    /// <summary>Python's str.isupper: at least one cased character, and no lower-case or title-case one.</summary>
    public static bool IsUpper(string text) => CaseOnly(text, upper: true);

    /// <summary>Python's str.islower: at least one cased character, and no upper-case or title-case one.</summary>
    public static bool IsLower(string text) => CaseOnly(text, upper: false);

    static bool CaseOnly(string text, bool upper)
    {
        bool cased = false;
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category == UnicodeCategory.TitlecaseLetter) return false;
            if (category == UnicodeCategory.UppercaseLetter) { if (!upper) return false; cased = true; }
            else if (category == UnicodeCategory.LowercaseLetter) { if (upper) return false; cased = true; }
        }
        return cased;
    }

    /// <summary>
    /// Our stand-in for "the text is English" (IFEval asks langdetect): at least 90% of its letters are Latin
    /// (U+0041..U+024F). Text without letters passes, as langdetect's failure does in the original.
    /// </summary>
    public static bool IsMostlyLatin(string text)
    {
        int letters = 0, latin = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (!Rune.IsLetter(rune)) continue;
            letters++;
            if (rune.Value <= 0x024F) latin++;
        }
        return letters == 0 || latin >= 0.9 * letters;
    }
}
