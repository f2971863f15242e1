namespace PrefLab.Generation;

/// <summary>
/// One generated continuation.
/// </summary>
/// <param name="PromptIds">The prompt as given.</param>
/// <param name="TokenIds">The new tokens, no padding. Ends with the EOS id when <see cref="FinishReason"/> is
/// <see cref="FinishReason.Eos"/>; with a stop string, ends with the token that completed it.</param>
/// <param name="LogProbs">One per token: log_softmax(logits / T)[token] at the step that produced it, with T =
/// <see cref="GenerationResult.LogProbTemperature"/>, before EOS suppression, top-k and top-p (the value
/// <c>TokenLogProbs.Gather</c> gives in a training forward over prompt + response at the same T).</param>
/// <param name="Text">The tokens decoded (special tokens skipped unless asked); cut just before the stop string
/// when one fired; null when the generator has no tokenizer.</param>
/// <param name="FinishReason">Why it stopped.</param>
/// <param name="StopString">The stop string that fired (the one found earliest in the text), else null.</param>
public sealed record GeneratedSequence(int[] PromptIds, int[] TokenIds, float[] LogProbs, string? Text,
    FinishReason FinishReason, string? StopString)
{
    public int Length => TokenIds.Length;

    /// <summary>Per token, the step's <see cref="GenerationOptions.TopLogProbs"/> most likely tokens (most likely
    /// first) at the log-prob temperature; null when none were asked for.</summary>
    public IReadOnlyList<TopLogProb[]>? TopLogProbs { get; init; }

    /// <summary>Sum of <see cref="LogProbs"/>: the sequence log-prob at the log-prob temperature.</summary>
    public double SumLogProb => LogProbs.Sum(x => (double)x);
}
