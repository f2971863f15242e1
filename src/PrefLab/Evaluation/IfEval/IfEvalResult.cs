namespace PrefLab.Evaluation.IfEval;

/// <summary>
/// How one response did on its prompt's instructions: per instruction, followed under the strict and the loose
/// reading. A skipped prompt (it holds an unsupported instruction and the caller chose to skip) has empty lists.
/// </summary>
public sealed record IfEvalResult(string Key, IReadOnlyList<string> InstructionIds, IReadOnlyList<bool> Strict, IReadOnlyList<bool> Loose,
    bool Skipped = false)
{
    /// <summary>Prompt-level: every instruction followed.</summary>
    public bool PromptFollowed(bool loose) => !Skipped && (loose ? Loose : Strict).All(followed => followed);

    /// <summary>How many of the prompt's instructions were followed.</summary>
    public int FollowedCount(bool loose) => (loose ? Loose : Strict).Count(followed => followed);

    public int InstructionCount => Skipped ? 0 : InstructionIds.Count;
}

/// <summary>Per-instruction-id accuracy (instruction level), strict and loose.</summary>
public sealed record InstructionAccuracy(string Id, int Count, double Strict, double Loose);

/// <summary>
/// IFEval accuracies over scored prompts (skipped prompts excluded, counted in <see cref="SkippedPrompts"/>).
/// Prompt-level: share of prompts with every instruction followed. Instruction-level: share of all instructions
/// followed, pooled over prompts.
/// </summary>
public sealed record IfEvalAccuracy(
    double PromptStrict, double InstructionStrict, double PromptLoose, double InstructionLoose,
    int Prompts, int Instructions, int SkippedPrompts, IReadOnlyList<InstructionAccuracy> ByInstruction);
