using System.Text.Json;
using System.Text.RegularExpressions;

namespace PrefLab.Evaluation.IfEval;

/// <summary>detectable_format:* — JSON, bullets, highlights, sections, titles, fixed answers.</summary>
public static partial class FormatInstructions
{
    [GeneratedRegex(@"^\s*\*[^\*].*$", RegexOptions.Multiline)]
    private static partial Regex StarBullet();

    [GeneratedRegex(@"^\s*-.*$", RegexOptions.Multiline)]
    private static partial Regex DashBullet();

    [GeneratedRegex(@"\*[^\n\*]*\*")]
    private static partial Regex SingleHighlight();

    [GeneratedRegex(@"\*\*[^\n\*]*\*\*")]
    private static partial Regex DoubleHighlight();

    [GeneratedRegex(@"<<[^\n]+>>")]
    private static partial Regex Title();

    /// <summary>The answers constrained_response accepts.</summary>
    public static IReadOnlyList<string> ConstrainedResponses { get; } = ["My answer is yes.", "My answer is no.", "My answer is maybe."];

    /// <summary>
    /// json_format: after trimming and removing one leading ```json / ```Json / ```JSON / ``` fence and one trailing ```
    /// fence, the text parses as one JSON value.
    /// </summary>
    public static Func<string, bool> JsonFormat(InstructionArguments args) => response =>
    {
        string text = response.Trim();
        foreach (string fence in new[] { "```json", "```Json", "```JSON", "```" })
            if (text.StartsWith(fence, StringComparison.Ordinal)) { text = text[fence.Length..]; break; }
        if (text.EndsWith("```", StringComparison.Ordinal)) text = text[..^3];
        text = text.Trim();
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    };

    /// <summary>
    /// number_bullet_lists (num_bullets): exactly num_bullets lines that start (after whitespace) with "*" not
    /// followed by another "*", or with "-".
    /// </summary>
    public static Func<string, bool> NumberBulletLists(InstructionArguments args)
    {
        int expected = args.RequireNonNegativeInt("num_bullets");
        return response => StarBullet().Count(response) + DashBullet().Count(response) == expected;
    }

    /// <summary>
    /// number_highlighted_sections (num_highlights): at least num_highlights non-blank *highlighted* or
    /// **highlighted** spans on one line each.
    /// </summary>
    public static Func<string, bool> NumberHighlightedSections(InstructionArguments args)
    {
        int expected = args.RequireNonNegativeInt("num_highlights");
        return response =>
        {
            int count = SingleHighlight().Matches(response).Count(m => m.Value.Trim('*').Trim().Length > 0)
                      + DoubleHighlight().Matches(response).Count(m => m.Value[2..^2].Trim().Length > 0);
            return count >= expected;
        };
    }

    /// <summary>
    /// multiple_sections (section_spliter, num_sections): at least num_sections section headers, a header being
    /// the splitter word (case-sensitive) followed by a number ("SECTION 1", "Section 2").
    /// </summary>
    public static Func<string, bool> MultipleSections(InstructionArguments args)
    {
        string splitter = args.RequireNonEmptyString("section_spliter");
        int expected = args.RequireNonNegativeInt("num_sections");
        var header = new Regex(@"\s?" + Regex.Escape(splitter) + @"\s?\d+\s?");
        return response => header.Split(response).Length - 1 >= expected;
    }

    /// <summary>title: a title in double angular brackets, such as &lt;&lt;poem of joy&gt;&gt;, with non-blank text, on one line.</summary>
    public static Func<string, bool> TitleFormat(InstructionArguments args) =>
        response => Title().Matches(response).Any(m => m.Value.TrimStart('<').TrimEnd('>').Trim().Length > 0);

    /// <summary>constrained_response: the trimmed response contains one of "My answer is yes." / "no." / "maybe." (case-sensitive).</summary>
    public static Func<string, bool> ConstrainedResponse(InstructionArguments args) => response =>
    {
        string trimmed = response.Trim();
        return ConstrainedResponses.Any(option => trimmed.Contains(option, StringComparison.Ordinal));
    };
}
