using PrefLab.Statistics;

namespace PrefLab.Evaluation.IfEval;

/// <summary>
/// Scores responses to IFEval prompts. Strict: each instruction's checker on the response as written. Loose (the
/// original's upper bound): an instruction is followed when its checker accepts any of eight variants of the
/// response: as written, without its first line, without its last line, without both, and each of those four
/// with every '*' removed (lines split at '\n', variants trimmed). An empty or blank response (variant) follows
/// nothing.
/// </summary>
public static class IfEvalScorer
{
    /// <summary>The response's strict and loose results for the item's instructions.</summary>
    public static IfEvalResult Score(IfEvalItem item, string response, UnsupportedInstructions unsupported = UnsupportedInstructions.Error)
    {
        var checks = new List<Func<string, bool>>(item.Instructions.Count);
        foreach (var instruction in item.Instructions)
        {
            try
            {
                checks.Add(InstructionRegistry.Create(instruction.Id, instruction.Arguments));
            }
            catch (UnsupportedInstructionError) when (unsupported == UnsupportedInstructions.SkipPrompt)
            {
                return new IfEvalResult(item.Key, item.Instructions.Select(i => i.Id).ToList(), [], [], Skipped: true);
            }
        }
        var variants = LooseVariants(response);
        var strict = checks.Select(check => Follows(check, response)).ToList();
        var loose = checks.Select(check => variants.Any(variant => Follows(check, variant))).ToList();
        return new IfEvalResult(item.Key, item.Instructions.Select(i => i.Id).ToList(), strict, loose);
    }

    /// <summary>
    /// The eight responses the loose reading tries, in the original's order: response, response without '*',
    /// without first line, without last line, without both, and those three without '*'.
    /// </summary>
    public static IReadOnlyList<string> LooseVariants(string response)
    {
        string[] lines = response.Split('\n');
        string withoutFirst = string.Join('\n', lines.Skip(1)).Trim();
        string withoutLast = string.Join('\n', lines.Take(lines.Length - 1)).Trim();
        string withoutBoth = string.Join('\n', lines.Skip(1).Take(lines.Length - 2)).Trim();
        return
        [
            response,
            response.Replace("*", "", StringComparison.Ordinal),
            withoutFirst,
            withoutLast,
            withoutBoth,
            withoutFirst.Replace("*", "", StringComparison.Ordinal),
            withoutLast.Replace("*", "", StringComparison.Ordinal),
            withoutBoth.Replace("*", "", StringComparison.Ordinal),
        ];
    }

    /// <summary>Prompt- and instruction-level accuracy, strict and loose, overall and per instruction id.</summary>
    public static IfEvalAccuracy Aggregate(IReadOnlyCollection<IfEvalResult> results)
    {
        var scored = results.Where(r => !r.Skipped).ToList();
        int skipped = results.Count - scored.Count;
        if (scored.Count == 0) throw new ArgumentException($"no scored prompts ({skipped} skipped)", nameof(results));
        int instructions = scored.Sum(r => r.InstructionCount);
        var byId = scored
            .SelectMany(r => r.InstructionIds.Select((id, i) => (id, strict: r.Strict[i], loose: r.Loose[i])))
            .GroupBy(x => x.id, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new InstructionAccuracy(g.Key, g.Count(), g.Average(x => x.strict ? 1.0 : 0.0), g.Average(x => x.loose ? 1.0 : 0.0)))
            .ToList();
        return new IfEvalAccuracy(
            scored.Average(r => r.PromptFollowed(loose: false) ? 1.0 : 0.0),
            instructions == 0 ? double.NaN : (double)scored.Sum(r => r.FollowedCount(loose: false)) / instructions,
            scored.Average(r => r.PromptFollowed(loose: true) ? 1.0 : 0.0),
            instructions == 0 ? double.NaN : (double)scored.Sum(r => r.FollowedCount(loose: true)) / instructions,
            scored.Count, instructions, skipped, byId);
    }

    /// <summary>
    /// Bootstrap intervals (resampling prompts) for the four accuracies: prompt-level as a mean of 0/1 per prompt,
    /// instruction-level as a ratio of followed to given instructions.
    /// </summary>
    public static (Estimate PromptStrict, Estimate InstructionStrict, Estimate PromptLoose, Estimate InstructionLoose) Intervals(
        IReadOnlyCollection<IfEvalResult> results, BootstrapOptions? options = null)
    {
        var scored = results.Where(r => !r.Skipped).ToList();
        if (scored.Count == 0) throw new ArgumentException("no scored prompts", nameof(results));
        var counts = scored.Select(r => (double)r.InstructionCount).ToList();
        return (
            Bootstrap.Mean(scored.Select(r => r.PromptFollowed(false) ? 1.0 : 0.0).ToList(), options),
            Bootstrap.Ratio(scored.Select(r => (double)r.FollowedCount(false)).ToList(), counts, options),
            Bootstrap.Mean(scored.Select(r => r.PromptFollowed(true) ? 1.0 : 0.0).ToList(), options),
            Bootstrap.Ratio(scored.Select(r => (double)r.FollowedCount(true)).ToList(), counts, options));
    }

    static bool Follows(Func<string, bool> check, string response) => response.Trim().Length > 0 && check(response);
}
