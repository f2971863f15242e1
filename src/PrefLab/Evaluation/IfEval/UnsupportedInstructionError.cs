using PrefLab.Runtime;

namespace PrefLab.Evaluation.IfEval;

/// <summary>
/// A known IFEval instruction that PrefLab cannot check (language:response_language needs a language detector
/// trained on 30 languages, which we do not ship). Scoring stops with this error unless the caller asked to skip
/// prompts holding such instructions (<see cref="UnsupportedInstructions.SkipPrompt"/>).
/// </summary>
public sealed class UnsupportedInstructionError(string instructionId, string reason)
    : UserError($"IFEval instruction '{instructionId}' is not supported: {reason}; skip the prompts that use it or remove them from the file")
{
    public string InstructionId { get; } = instructionId;
}

/// <summary>What scoring does with a prompt that holds an unsupported instruction.</summary>
public enum UnsupportedInstructions
{
    /// <summary>Throw <see cref="UnsupportedInstructionError"/>.</summary>
    Error,

    /// <summary>Mark the prompt skipped: it counts in neither prompt- nor instruction-level accuracy.</summary>
    SkipPrompt,
}
