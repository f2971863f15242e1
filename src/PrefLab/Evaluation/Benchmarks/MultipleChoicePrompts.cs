using System.Text;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>
/// MMLU prompts in the original (Hendrycks et al.) / lm-eval-harness format:
/// "The following are multiple choice questions (with answers) about {subject}.\n\n", then each example as
/// "{question}\nA. {option}\nB. {option}\n...\nAnswer: {letter}\n\n", then the target ending in "Answer:". The model
/// scores each option's continuation: <see cref="LetterContinuations"/> (" A", " B", ...; MMLU) or
/// <see cref="TextContinuations"/> (" " + option text; ARC/TruthfulQA style).
/// </summary>
public static class MultipleChoicePrompts
{
    public static string Letter(int index) =>
        index is >= 0 and < 26 ? ((char)('A' + index)).ToString() : throw new ArgumentOutOfRangeException(nameof(index), index, "at most 26 options");

    /// <summary>The prompt for <paramref name="target"/> with the given examples, in order.</summary>
    public static string Build(MultipleChoiceItem target, IReadOnlyList<MultipleChoiceItem> examples)
    {
        string? subject = target.Subject?.Replace('_', ' ').Trim();
        var prompt = new StringBuilder(subject is { Length: > 0 }
            ? $"The following are multiple choice questions (with answers) about {subject}.\n\n"
            : "The following are multiple choice questions (with answers).\n\n");
        foreach (var example in examples)
            AppendQuestion(prompt, example).Append(' ').Append(Letter(example.Answer)).Append("\n\n");
        return AppendQuestion(prompt, target).ToString();
    }

    /// <summary>The prompt for <paramref name="target"/> with k examples chosen from <paramref name="pool"/>.</summary>
    public static string Build(MultipleChoiceItem target, IReadOnlyList<MultipleChoiceItem> pool, int k, long seed,
        FewShotSelection selection = FewShotSelection.Seeded) =>
        Build(target, FewShot.Select(pool, k, target.Question, item => item.Question, seed, selection));

    /// <summary>" A", " B", ... for an item's options.</summary>
    public static IReadOnlyList<string> LetterContinuations(MultipleChoiceItem item) =>
        Enumerable.Range(0, item.Choices.Count).Select(i => " " + Letter(i)).ToList();

    /// <summary>" " + each option's text.</summary>
    public static IReadOnlyList<string> TextContinuations(MultipleChoiceItem item) =>
        item.Choices.Select(choice => " " + choice.Trim()).ToList();

    static StringBuilder AppendQuestion(StringBuilder prompt, MultipleChoiceItem item)
    {
        prompt.Append(item.Question.Trim()).Append('\n');
        for (int i = 0; i < item.Choices.Count; i++) prompt.Append(Letter(i)).Append(". ").Append(item.Choices[i].Trim()).Append('\n');
        return prompt.Append("Answer:");
    }
}
