using System.Text.Json.Nodes;
using PrefLab.Evaluation.Scorers;

namespace PrefLab.Evaluation.Suites;

/// <summary>What a case asks of the model: a generated response or option log-likelihoods.</summary>
public abstract record CaseRequest(string Prompt);

/// <summary>
/// Generate a response to <see cref="CaseRequest.Prompt"/>: a user message rendered with the chat format and the
/// assistant header, or (raw evaluation) the text tokenized as is. <paramref name="MaxNewTokens"/> is the suite's
/// default, which <c>--max-new-tokens</c> replaces.
/// </summary>
public sealed record GenerationRequest(string Prompt, int MaxNewTokens, IReadOnlyList<string> StopStrings) : CaseRequest(Prompt);

/// <summary>Score each option's log-likelihood as the model's answer to <see cref="CaseRequest.Prompt"/>.</summary>
public sealed record ChoiceRequest(string Prompt, IReadOnlyList<string> Options, ChoiceStyle Style) : CaseRequest(Prompt);

/// <summary>How an option is put after the prompt for its log-likelihood.</summary>
public enum ChoiceStyle
{
    /// <summary>The option is the assistant's whole response: the conversation [user prompt, assistant option] is
    /// rendered with the chat format and the final assistant turn is scored, its end-of-turn token included (the
    /// tokens DPO's log-probs cover). Raw evaluation falls back to <see cref="Continuation"/>.</summary>
    WholeResponse,

    /// <summary>The option continues the prompt: its tokens (encoded on their own, no special tokens) follow the
    /// chat prompt with the assistant header (the option's leading spaces trimmed), or in raw evaluation the
    /// prompt's tokens (the option as given, e.g. " A"). No end-of-turn token is scored.</summary>
    Continuation,
}

/// <summary>One evaluation item as the harness sees it: where it belongs, its id, and its request.</summary>
public sealed record EvalCase(string Category, string ItemId, CaseRequest Request);

/// <summary>A generated response as the scorers see it.</summary>
public sealed record GeneratedText(string Text, int[] TokenIds, string FinishReason);

/// <summary>What the model answered to one case: a generated response, or one likelihood per option.</summary>
public sealed record CaseResponse(GeneratedText? Generated, IReadOnlyList<ChoiceLikelihood>? Choices)
{
    public static CaseResponse Of(GeneratedText generated) => new(generated, null);
    public static CaseResponse Of(IReadOnlyList<ChoiceLikelihood> choices) => new(null, choices);

    public GeneratedText RequireGenerated() => Generated ?? throw new InvalidOperationException("expected a generated response");
    public IReadOnlyList<ChoiceLikelihood> RequireChoices() => Choices ?? throw new InvalidOperationException("expected option likelihoods");
}

/// <summary>
/// A scored case: the headline <see cref="Score"/>, the response as shown in items.jsonl (for multiple choice, the
/// picked option), named per-item <see cref="Metrics"/> the suite summarises, and extra <see cref="Fields"/> for the
/// per-item output (aspects, extracted answers, option log-likelihoods, ...).
/// </summary>
public sealed record ItemOutcome(double Score, string? Response, IReadOnlyDictionary<string, double> Metrics, JsonObject Fields);
