using System.Text;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>
/// GSM8K prompts in lm-eval-harness's format: each example "Question: {question}\nAnswer: {solution}" (the
/// reference solution, ending in "#### n"), examples separated by a blank line, then "Question: {question}\nAnswer:"
/// for the target. Generation stops at <see cref="StopSequences"/>; score with
/// <see cref="Scorers.AnswerExtraction.Gsm8kMarker"/> (strict) or <see cref="Scorers.AnswerExtraction.LastNumber"/> (flexible).
/// </summary>
public static class Gsm8kPrompts
{
    public static IReadOnlyList<string> StopSequences { get; } = ["Question:", "</s>", "<|im_end|>"];

    /// <summary>The prompt for <paramref name="target"/> with the given examples, in order.</summary>
    public static string Build(Gsm8kItem target, IReadOnlyList<Gsm8kItem> examples)
    {
        var prompt = new StringBuilder();
        foreach (var example in examples)
            prompt.Append("Question: ").Append(example.Question.Trim()).Append("\nAnswer: ").Append(example.Solution.Trim()).Append("\n\n");
        return prompt.Append("Question: ").Append(target.Question.Trim()).Append("\nAnswer:").ToString();
    }

    /// <summary>The prompt for <paramref name="target"/> with k examples chosen from <paramref name="pool"/>.</summary>
    public static string Build(Gsm8kItem target, IReadOnlyList<Gsm8kItem> pool, int k, long seed, FewShotSelection selection = FewShotSelection.Seeded) =>
        Build(target, FewShot.Select(pool, k, target.Question, item => item.Question, seed, selection));
}
