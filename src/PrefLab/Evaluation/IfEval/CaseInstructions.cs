namespace PrefLab.Evaluation.IfEval;

/// <summary>change_case:* — all lower case, all capitals, how many capitalised words.</summary>
public static class CaseInstructions
{
    /// <summary>
    /// english_lowercase: no upper-case letter and at least one lower-case one (Python's islower), in English. For
    /// "English" we check that the letters are mostly Latin (see <see cref="TextUnits.IsMostlyLatin"/>); IFEval runs
    /// langdetect.
    /// </summary>
    public static Func<string, bool> EnglishLowercase(InstructionArguments args) =>
        response => TextUnits.IsLower(response) && TextUnits.IsMostlyLatin(response);

    /// <summary>english_capital: no lower-case letter and at least one capital (Python's isupper), in English (as above).</summary>
    public static Func<string, bool> EnglishCapital(InstructionArguments args) =>
        response => TextUnits.IsUpper(response) && TextUnits.IsMostlyLatin(response);

    /// <summary>
    /// capital_word_frequency (capital_frequency, capital_relation): the number of word tokens in all capitals
    /// (<see cref="TextUnits.WordTokens"/>; "I" counts) compared with capital_frequency.
    /// </summary>
    public static Func<string, bool> CapitalWordFrequency(InstructionArguments args)
    {
        int threshold = args.RequireNonNegativeInt("capital_frequency");
        var relation = args.RequireRelation("capital_relation");
        return response => relation.Holds(TextUnits.WordTokens(response).Count(TextUnits.IsUpper), threshold);
    }
}
