using PrefLab.Runtime;

namespace PrefLab.Generation;

/// <summary>
/// How to generate. Option names follow Hugging Face's <c>generate</c>; a bad value is a <see cref="UserError"/>
/// naming the matching <c>preflab generate</c> option.
///
/// Processing order of the next-token scores (Hugging Face's): EOS suppressed while fewer than
/// <see cref="MinNewTokens"/> tokens are generated, then divided by <see cref="Temperature"/>, then top-k, then
/// top-p (each keeps at least one token), then one token is drawn. <see cref="Temperature"/> 0 means greedy
/// (argmax after the EOS suppression; top-k and top-p are refused there rather than ignored).
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>At most this many new tokens per sequence (&gt;= 1); a sequence that reaches it finishes with
    /// <see cref="FinishReason.Length"/>.</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>EOS ids are banned until this many tokens are generated (stop strings still apply).</summary>
    public int MinNewTokens { get; init; }

    /// <summary>Sampling temperature (&gt; 0), or 0 for greedy decoding.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep the k highest-scoring tokens (and every token tied with the k-th); null = off.</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling: keep the most probable tokens whose mass reaches p, in (0, 1]; null = off.</summary>
    public double? TopP { get; init; }

    /// <summary>The seed of the sampling stream (see <see cref="SamplingStream"/>). Same seed, same tokens.</summary>
    public long Seed { get; init; }

    /// <summary>Prompts decoded together. Prompts are sorted by length before they are cut into batches (less
    /// padding); results come back in input order and do not depend on the batch size.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>A sequence whose decoded text contains one of these stops there (<see cref="FinishReason.StopString"/>);
    /// needs a tokenizer.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = Array.Empty<string>();

    /// <summary>Decoded texts leave special tokens (EOS, chat markers) out unless this is false.</summary>
    public bool SkipSpecialTokens { get; init; } = true;

    /// <summary>True (default): a finished sequence's row is dropped from the batch and its KV cache
    /// (<c>KvCache.SelectRows</c>), so later steps compute only the unfinished ones. False: finished rows keep
    /// being fed the pad id, as Hugging Face does. The tokens are the same either way.</summary>
    public bool DropFinishedRows { get; init; } = true;

    /// <summary>Also report, per generated token, this many most likely tokens with their log-probs (0 = none;
    /// at most <see cref="MaxTopLogProbs"/>).</summary>
    public int TopLogProbs { get; init; }

    /// <summary>The most alternatives <see cref="TopLogProbs"/> may ask for (OpenAI's limit).</summary>
    public const int MaxTopLogProbs = 20;

    public bool IsGreedy => Temperature == 0;

    /// <summary>The temperature of the reported log-probs: <see cref="Temperature"/> when sampling, 1 when greedy.</summary>
    public double LogProbTemperature => IsGreedy ? 1.0 : Temperature;

    /// <summary>Greedy decoding (argmax) of at most <paramref name="maxNewTokens"/> tokens.</summary>
    public static GenerationOptions Greedy(int maxNewTokens = 128) => new() { Temperature = 0, MaxNewTokens = maxNewTokens };

    /// <summary>Throws a <see cref="UserError"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 1) throw UserError.InOption("max-new-tokens", $"must be at least 1, not {MaxNewTokens}");
        if (MinNewTokens < 0) throw UserError.InOption("min-new-tokens", $"must be 0 or more, not {MinNewTokens}");
        if (MinNewTokens > MaxNewTokens)
            throw UserError.InOption("min-new-tokens", $"{MinNewTokens} is more than --max-new-tokens {MaxNewTokens}");
        if (!(Temperature >= 0) || double.IsInfinity(Temperature))
            throw UserError.InOption("temperature", $"must be a finite number > 0, or 0 for greedy decoding, not {Temperature}");
        if (TopK is int k && k < 1) throw UserError.InOption("top-k", $"must be at least 1, not {k}");
        if (TopP is double p && !(p > 0 && p <= 1)) throw UserError.InOption("top-p", $"must be in (0, 1], not {p}");
        if (IsGreedy && TopK is not null) throw UserError.InOption("top-k", "has no effect with greedy decoding (--temperature 0)");
        if (IsGreedy && TopP is not null) throw UserError.InOption("top-p", "has no effect with greedy decoding (--temperature 0)");
        if (TopLogProbs < 0 || TopLogProbs > MaxTopLogProbs)
            throw UserError.InOption("top-logprobs", $"must be 0 to {MaxTopLogProbs}, not {TopLogProbs}");
        if (BatchSize < 1) throw UserError.InOption("batch-size", $"must be at least 1, not {BatchSize}");
        foreach (string stop in StopStrings)
            if (string.IsNullOrEmpty(stop)) throw UserError.InOption("stop", "a stop string must not be empty");
    }
}
