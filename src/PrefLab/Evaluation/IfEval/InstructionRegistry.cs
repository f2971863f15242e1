using System.Text.Json.Nodes;

namespace PrefLab.Evaluation.IfEval;

/// <summary>
/// The IFEval instructions PrefLab checks, keyed by the original instruction ids, with the original kwargs
/// names. Semantics follow google-research's instruction_following_eval (instructions.py), re-implemented; where
/// the original calls NLTK or langdetect we use the documented approximations in <see cref="TextUnits"/>.
/// </summary>
public static class InstructionRegistry
{
    delegate Func<string, bool> Factory(InstructionArguments args);

    static readonly Dictionary<string, Factory> Factories = new(StringComparer.Ordinal)
    {
        ["keywords:existence"] = KeywordInstructions.Existence,
        ["keywords:frequency"] = KeywordInstructions.Frequency,
        ["keywords:forbidden_words"] = KeywordInstructions.ForbiddenWords,
        ["keywords:letter_frequency"] = KeywordInstructions.LetterFrequency,
        ["length_constraints:number_sentences"] = LengthInstructions.NumberSentences,
        ["length_constraints:number_paragraphs"] = LengthInstructions.NumberParagraphs,
        ["length_constraints:number_words"] = LengthInstructions.NumberWords,
        ["length_constraints:nth_paragraph_first_word"] = LengthInstructions.NthParagraphFirstWord,
        ["detectable_content:number_placeholders"] = ContentInstructions.NumberPlaceholders,
        ["detectable_content:postscript"] = ContentInstructions.Postscript,
        ["detectable_format:number_bullet_lists"] = FormatInstructions.NumberBulletLists,
        ["detectable_format:constrained_response"] = FormatInstructions.ConstrainedResponse,
        ["detectable_format:number_highlighted_sections"] = FormatInstructions.NumberHighlightedSections,
        ["detectable_format:multiple_sections"] = FormatInstructions.MultipleSections,
        ["detectable_format:json_format"] = FormatInstructions.JsonFormat,
        ["detectable_format:title"] = FormatInstructions.TitleFormat,
        ["combination:two_responses"] = ContentInstructions.TwoResponses,
        ["combination:repeat_prompt"] = ContentInstructions.RepeatPrompt,
        ["startend:end_checker"] = StartEndInstructions.EndChecker,
        ["startend:quotation"] = StartEndInstructions.Quotation,
        ["change_case:capital_word_frequency"] = CaseInstructions.CapitalWordFrequency,
        ["change_case:english_capital"] = CaseInstructions.EnglishCapital,
        ["change_case:english_lowercase"] = CaseInstructions.EnglishLowercase,
        ["punctuation:no_comma"] = ContentInstructions.NoComma,
    };

    // Known to IFEval, not checked here: the id, its argument validator, and why.
    static readonly Dictionary<string, (Action<InstructionArguments> Validate, string Reason)> Unsupported = new(StringComparer.Ordinal)
    {
        ["language:response_language"] = (args => args.RequireNonEmptyString("language"),
            "it needs a statistical language detector (IFEval uses langdetect), which PrefLab does not include"),
    };

    /// <summary>Every instruction id PrefLab checks.</summary>
    public static IReadOnlyCollection<string> SupportedIds => Factories.Keys;

    /// <summary>IFEval instruction ids PrefLab recognises but cannot check.</summary>
    public static IReadOnlyCollection<string> UnsupportedIds => Unsupported.Keys;

    public static bool IsSupported(string id) => Factories.ContainsKey(id);

    public static bool IsKnown(string id) => Factories.ContainsKey(id) || Unsupported.ContainsKey(id);

    /// <summary>
    /// Checks that the id is an IFEval instruction and that its kwargs are complete and well-typed, without building
    /// a checker (unsupported instructions validate too). Throws <see cref="ArgumentException"/> naming the problem.
    /// </summary>
    public static void Validate(string id, IReadOnlyDictionary<string, JsonNode?>? kwargs)
    {
        var args = new InstructionArguments(id, kwargs);
        if (Factories.TryGetValue(id, out var factory)) factory(args);
        else if (Unsupported.TryGetValue(id, out var unsupported)) unsupported.Validate(args);
        else throw UnknownId(id);
        args.RejectUnused();
    }

    /// <summary>
    /// The checker of one instruction: a function from a response to "followed". Throws
    /// <see cref="ArgumentException"/> for an unknown id or bad kwargs, <see cref="UnsupportedInstructionError"/> for a
    /// known instruction PrefLab cannot check.
    /// </summary>
    public static Func<string, bool> Create(string id, IReadOnlyDictionary<string, JsonNode?>? kwargs)
    {
        if (Unsupported.TryGetValue(id, out var unsupported))
        {
            Validate(id, kwargs);
            throw new UnsupportedInstructionError(id, unsupported.Reason);
        }
        if (!Factories.TryGetValue(id, out var factory)) throw UnknownId(id);
        var args = new InstructionArguments(id, kwargs);
        var check = factory(args);
        args.RejectUnused();
        return check;
    }

    static ArgumentException UnknownId(string id) =>
        new($"unknown IFEval instruction '{id}' (known: {string.Join(", ", Factories.Keys.Concat(Unsupported.Keys).Order(StringComparer.Ordinal))})");
}
