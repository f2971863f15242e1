namespace PrefLab.Generation;

/// <summary>One of the most likely tokens at a step and its log-prob (at the log-prob temperature).</summary>
public readonly record struct TopLogProb(int TokenId, float LogProb);

/// <summary>
/// A token as the decoder produces it, reported at the step that produced it (streaming).
/// </summary>
/// <param name="Prompt">The sequence's index in the call's prompt list.</param>
/// <param name="TokenId">The new token.</param>
/// <param name="LogProb">Its log-prob, as in <see cref="GeneratedSequence.LogProbs"/>.</param>
/// <param name="Top">The step's most likely tokens when <see cref="GenerationOptions.TopLogProbs"/> &gt; 0, else null.</param>
/// <param name="Finished">The whole sequence when this token ended it (its text settled), else null.</param>
public sealed record GeneratedToken(int Prompt, int TokenId, float LogProb, TopLogProb[]? Top, GeneratedSequence? Finished);
