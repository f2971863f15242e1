using System.Globalization;
using PrefLab.Runtime;

namespace PrefLab.Models.LogProbs;

/// <summary>When token log-probs are taken: all positions' logits at once, or a chunk of positions at a time.</summary>
public enum LogitChunkingMode { Auto, On, Off }

/// <summary>
/// How sequence and token log-probs reach the vocabulary (<c>--logits-chunk auto|off|N</c>). Unchunked, the
/// decoder's final hidden states go through the output projection for every scored position at once, so a batch
/// holds [tokens, vocab] float32 logits — and, in training, their gradient and log-softmax's temporaries beside
/// them (Qwen2.5's 151,936-word vocabulary: 2.4 GB a copy at 4 x 512 tokens). Chunked
/// (<see cref="ChunkedLogProbs"/>), the projection and log-softmax run over <see cref="TokensPerChunk"/> positions
/// at a time, and the backward pass recomputes each chunk's logits instead of keeping them. <see cref="Auto"/>
/// chunks when the unchunked logits would exceed <see cref="AutoThresholdElements"/> values; the small models of
/// the Preference World then never chunk.
/// </summary>
public sealed record LogitChunking
{
    /// <summary>64 Mi logits (256 MB of float32): above this, <see cref="LogitChunkingMode.Auto"/> chunks.</summary>
    public const long AutoThresholdElements = 1L << 26;
    /// <summary>A chunk's logits when <see cref="ChunkTokens"/> is not given: 8 Mi values (32 MB of float32).</summary>
    public const long DefaultChunkElements = 1L << 23;

    public static readonly LogitChunking Auto = new();
    public static readonly LogitChunking Off = new() { Mode = LogitChunkingMode.Off };

    public LogitChunkingMode Mode { get; init; } = LogitChunkingMode.Auto;
    /// <summary>Positions per chunk; null derives it from the vocabulary (<see cref="DefaultChunkElements"/> / vocab).</summary>
    public int? ChunkTokens { get; init; }

    /// <summary>Chunks of <paramref name="tokens"/> positions each.</summary>
    public static LogitChunking Every(int tokens) => tokens >= 1 ? new() { Mode = LogitChunkingMode.On, ChunkTokens = tokens }
        : throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "a chunk holds at least one position");

    /// <summary>The positions per chunk for <paramref name="tokens"/> scored positions over <paramref name="vocab"/>
    /// words, or null to project them all at once.</summary>
    public int? TokensPerChunk(long tokens, long vocab)
    {
        if (Mode == LogitChunkingMode.Off || tokens == 0) return null;
        if (Mode == LogitChunkingMode.Auto && tokens * vocab <= AutoThresholdElements) return null;
        return ChunkTokens ?? (int)Math.Clamp(DefaultChunkElements / Math.Max(vocab, 1), 1, int.MaxValue);
    }

    /// <summary>"auto", "off", "on" or a number of positions per chunk; anything else names <c>--logits-chunk</c>.</summary>
    public static LogitChunking Parse(string? text)
    {
        string value = (text ?? "auto").Trim().ToLowerInvariant();
        return value switch
        {
            "auto" => Auto,
            "off" => Off,
            "on" => new LogitChunking { Mode = LogitChunkingMode.On },
            _ when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 => Every(n),
            _ => throw UserError.InOption("logits-chunk", $"must be auto, off, on or a number of positions per chunk (at least 1), not '{text}'"),
        };
    }

    /// <summary>The option's value as <see cref="Parse"/> reads it (run.json records it).</summary>
    public override string ToString() => Mode switch
    {
        LogitChunkingMode.Off => "off",
        LogitChunkingMode.On => ChunkTokens?.ToString(CultureInfo.InvariantCulture) ?? "on",
        _ => "auto",
    };
}
