namespace PrefLab.Evaluation.IfEval;

/// <summary>startend:* — how the response ends, or what wraps it.</summary>
public static class StartEndInstructions
{
    /// <summary>
    /// end_checker (end_phrase): the response, trimmed of whitespace and then of double quotes, ends with the
    /// phrase; case-insensitive.
    /// </summary>
    public static Func<string, bool> EndChecker(InstructionArguments args)
    {
        string phrase = args.RequireNonEmptyString("end_phrase").ToLowerInvariant();
        return response => response.Trim().Trim('"').ToLowerInvariant().EndsWith(phrase, StringComparison.Ordinal);
    }

    /// <summary>quotation: the trimmed response is longer than one character and starts and ends with '"'.</summary>
    public static Func<string, bool> Quotation(InstructionArguments args) => response =>
    {
        string trimmed = response.Trim();
        return trimmed.Length > 1 && trimmed[0] == '"' && trimmed[^1] == '"';
    };
}
