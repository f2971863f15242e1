using System.Text.RegularExpressions;

namespace PrefLab.Evaluation.IfEval;

/// <summary>detectable_content:*, punctuation:* and combination:* — placeholders, postscripts, commas, repeats, two answers.</summary>
public static partial class ContentInstructions
{
    [GeneratedRegex(@"\[.*?\]")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\s*p\.\s?p\.\s?s.*$", RegexOptions.Multiline)]
    private static partial Regex PpsMarker();

    [GeneratedRegex(@"\s*p\.\s?s\..*$", RegexOptions.Multiline)]
    private static partial Regex PsMarker();

    /// <summary>number_placeholders (num_placeholders): at least that many [square bracket] placeholders on one line each.</summary>
    public static Func<string, bool> NumberPlaceholders(InstructionArguments args)
    {
        int expected = args.RequireNonNegativeInt("num_placeholders");
        return response => Placeholder().Count(response) >= expected;
    }

    /// <summary>
    /// postscript (postscript_marker): the lower-cased response contains the marker: "P.S." accepts "p.s." and
    /// "p. s.", "P.P.S" accepts "p.p.s" with optional spaces after the dots, any other marker must occur as written
    /// (case-insensitive). Like the original, the marker may be anywhere, not only at the end.
    /// </summary>
    public static Func<string, bool> Postscript(InstructionArguments args)
    {
        string marker = args.RequireNonEmptyString("postscript_marker");
        var pattern = marker switch
        {
            "P.P.S" => PpsMarker(),
            "P.S." => PsMarker(),
            _ => new Regex(@"\s*" + Regex.Escape(marker.ToLowerInvariant()) + ".*$", RegexOptions.Multiline),
        };
        return response => pattern.IsMatch(response.ToLowerInvariant());
    }

    /// <summary>no_comma: no ',' anywhere (full-width and other commas are not checked, as in the original).</summary>
    public static Func<string, bool> NoComma(InstructionArguments args) => response => !response.Contains(',');

    /// <summary>repeat_prompt (prompt_to_repeat): the trimmed response starts with the trimmed prompt, case-insensitively.</summary>
    public static Func<string, bool> RepeatPrompt(InstructionArguments args)
    {
        string prompt = args.RequireNonEmptyString("prompt_to_repeat").ToLowerInvariant();
        return response => response.Trim().ToLowerInvariant().StartsWith(prompt, StringComparison.Ordinal);
    }

    /// <summary>
    /// two_responses: splitting at "******" gives exactly two non-blank responses that differ after trimming;
    /// a blank piece is allowed only before the first or after the last separator.
    /// </summary>
    public static Func<string, bool> TwoResponses(InstructionArguments args) => response =>
    {
        string[] pieces = response.Split("******");
        var answers = new List<string>();
        for (int i = 0; i < pieces.Length; i++)
        {
            if (pieces[i].Trim().Length > 0) answers.Add(pieces[i].Trim());
            else if (i != 0 && i != pieces.Length - 1) return false;
        }
        return answers.Count == 2 && answers[0] != answers[1];
    };
}
