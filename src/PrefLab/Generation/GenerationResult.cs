namespace PrefLab.Generation;

/// <summary>
/// What one <see cref="TextGenerator.Generate(IReadOnlyList{int[]}, GenerationOptions, Action{int}?)"/> call
/// produced: a sequence per prompt, in input order. Holds no tensors; <see cref="ToBatch"/> builds the padded
/// tensors a trainer uses.
/// </summary>
public sealed class GenerationResult
{
    public GenerationResult(IReadOnlyList<GeneratedSequence> sequences, int padId, double logProbTemperature, TimeSpan elapsed)
    {
        Sequences = sequences;
        PadId = padId;
        LogProbTemperature = logProbTemperature;
        Elapsed = elapsed;
    }

    /// <summary>One per prompt, in the order the prompts were given.</summary>
    public IReadOnlyList<GeneratedSequence> Sequences { get; }

    public GeneratedSequence this[int index] => Sequences[index];

    public int Count => Sequences.Count;

    /// <summary>The id that fills padding in <see cref="ToBatch"/>'s id tensors.</summary>
    public int PadId { get; }

    /// <summary>The temperature of every log-prob: the sampling temperature, or 1 for greedy decoding.</summary>
    public double LogProbTemperature { get; }

    /// <summary>Wall time of the call (prefill, decoding, detokenization).</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>New tokens over all sequences.</summary>
    public long GeneratedTokens => Sequences.Sum(s => (long)s.Length);

    /// <summary>Left-padded prompts and right-padded responses as tensors (see <see cref="ResponseBatch"/>), made
    /// in the caller's dispose scope. Dispose them (or let the scope do it).</summary>
    public ResponseBatch ToBatch() => ResponseBatch.From(Sequences, PadId);
}
