using System.Text.RegularExpressions;

namespace PrefLab.Evaluation.IfEval;

/// <summary>length_constraints:* — words, sentences, paragraphs.</summary>
public static partial class LengthInstructions
{
    [GeneratedRegex(@"\s?\*\*\*\s?")]
    private static partial Regex MarkdownDivider();

    /// <summary>number_words (num_words, relation): the \w+ word count compared with num_words.</summary>
    public static Func<string, bool> NumberWords(InstructionArguments args)
    {
        int threshold = args.RequireNonNegativeInt("num_words");
        var relation = args.RequireRelation("relation");
        return response => relation.Holds(TextUnits.CountWords(response), threshold);
    }

    /// <summary>number_sentences (num_sentences, relation): the sentence count compared with num_sentences.</summary>
    public static Func<string, bool> NumberSentences(InstructionArguments args)
    {
        int threshold = args.RequireNonNegativeInt("num_sentences");
        var relation = args.RequireRelation("relation");
        return response => relation.Holds(TextUnits.CountSentences(response), threshold);
    }

    /// <summary>
    /// number_paragraphs (num_paragraphs): exactly num_paragraphs paragraphs separated by the markdown divider
    /// "***" (with at most one whitespace character either side). An empty piece before the first or after the
    /// last divider is not a paragraph; an empty piece between two dividers fails the instruction.
    /// </summary>
    public static Func<string, bool> NumberParagraphs(InstructionArguments args)
    {
        int expected = args.RequireNonNegativeInt("num_paragraphs");
        return response =>
        {
            string[] pieces = MarkdownDivider().Split(response);
            int count = pieces.Length;
            for (int i = 0; i < pieces.Length; i++)
            {
                if (pieces[i].Trim().Length > 0) continue;
                if (i == 0 || i == pieces.Length - 1) count--;
                else return false;
            }
            return count == expected;
        };
    }

    /// <summary>
    /// nth_paragraph_first_word (num_paragraphs, nth_paragraph, first_word): paragraphs are separated by "\n\n";
    /// blank ones do not count. Follows when there are exactly num_paragraphs and the nth piece (1-based, counted
    /// among all pieces as the original does) starts with first_word, compared case-insensitively after leading
    /// quotes are dropped and the word is cut at the first of . , ? ! ' ".
    /// </summary>
    public static Func<string, bool> NthParagraphFirstWord(InstructionArguments args)
    {
        int expected = args.RequireNonNegativeInt("num_paragraphs");
        int nth = args.RequireInt("nth_paragraph");
        if (nth < 1) throw new ArgumentException($"instruction 'length_constraints:nth_paragraph_first_word': argument 'nth_paragraph' must be at least 1, not {nth}");
        string firstWord = args.RequireNonEmptyString("first_word").ToLowerInvariant();
        return response =>
        {
            string[] pieces = response.Split("\n\n");
            int count = pieces.Count(piece => piece.Trim().Length > 0);
            if (nth > count) return false;
            string paragraph = pieces[nth - 1].Trim();
            if (paragraph.Length == 0) return false;
            string word = paragraph.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0].TrimStart('\'').TrimStart('"');
            int cut = word.IndexOfAny(['.', ',', '?', '!', '\'', '"']);
            string first = (cut < 0 ? word : word[..cut]).ToLowerInvariant();
            return count == expected && first == firstWord;
        };
    }
}
