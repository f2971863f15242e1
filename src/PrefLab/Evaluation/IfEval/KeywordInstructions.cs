using System.Text.RegularExpressions;

namespace PrefLab.Evaluation.IfEval;

/// <summary>keywords:* — words that must or must not appear, how often, and letter counts.</summary>
public static class KeywordInstructions
{
    /// <summary>existence (keywords): every keyword occurs, case-insensitively, anywhere (substrings count).</summary>
    public static Func<string, bool> Existence(InstructionArguments args)
    {
        var keywords = args.RequireStrings("keywords").Select(Literal).ToList();
        return response => keywords.All(keyword => keyword.IsMatch(response));
    }

    /// <summary>forbidden_words (forbidden_words): no forbidden word occurs as a whole word, case-insensitively.</summary>
    public static Func<string, bool> ForbiddenWords(InstructionArguments args)
    {
        var words = args.RequireStrings("forbidden_words")
            .Select(word => new Regex(@"\b" + Regex.Escape(word) + @"\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))
            .ToList();
        return response => !words.Any(word => word.IsMatch(response));
    }

    /// <summary>
    /// frequency (keyword, frequency, relation): non-overlapping case-insensitive occurrences of the keyword
    /// (substrings count, so "stories" does not hold "story" but "storytelling" does) compared with frequency.
    /// </summary>
    public static Func<string, bool> Frequency(InstructionArguments args)
    {
        var keyword = Literal(args.RequireNonEmptyString("keyword"));
        int threshold = args.RequireNonNegativeInt("frequency");
        var relation = args.RequireRelation("relation");
        return response => relation.Holds(keyword.Count(response), threshold);
    }

    /// <summary>
    /// letter_frequency (letter, let_frequency, let_relation): occurrences of the one character (lower-cased; the
    /// response is lower-cased too, so the count ignores case) compared with let_frequency. Any single character
    /// works, as in the data ("#", "!").
    /// </summary>
    public static Func<string, bool> LetterFrequency(InstructionArguments args)
    {
        string letter = args.RequireString("letter").Trim();
        if (letter.Length != 1)
            throw new ArgumentException($"instruction 'keywords:letter_frequency': argument 'letter' must be one character, not \"{letter}\"");
        char target = char.ToLowerInvariant(letter[0]);
        int threshold = args.RequireNonNegativeInt("let_frequency");
        var relation = args.RequireRelation("let_relation");
        return response => relation.Holds(response.ToLowerInvariant().Count(c => c == target), threshold);
    }

    // IFEval passes keywords to re.search as patterns; the data's keywords are plain words, which we match literally.
    static Regex Literal(string keyword) => new(Regex.Escape(keyword), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}
