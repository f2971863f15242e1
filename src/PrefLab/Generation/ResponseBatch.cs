using static TorchSharp.torch;

namespace PrefLab.Generation;

/// <summary>
/// A generation call's prompts and responses as padded tensors, ready for a training forward:
/// <c>logits = model.forward(InputIds, AttentionMask)</c>, then
/// <c>TokenLogProbs.Gather(ResponseLogits(logits), ResponseIds, ResponseMask, T)</c> gives the log-probs of the
/// response tokens, equal to <see cref="LogProbs"/> (within float error) when the model is unchanged and T is
/// the generation's <see cref="GenerationResult.LogProbTemperature"/>.
///
/// Layout, B sequences in input order, P = longest prompt, R = longest response:
/// <c>[pad .. pad prompt | response pad .. pad]</c>. Every padding slot holds the pad id (the tokenizer's pad
/// token, else its EOS, else 0: the same rule as <c>ChatTokenizer.PadId</c>). When the pad id equals an EOS id
/// the ids alone cannot tell padding from EOS: always use the masks.
/// </summary>
public sealed class ResponseBatch : IDisposable
{
    ResponseBatch(Tensor promptIds, Tensor promptMask, Tensor responseIds, Tensor responseMask, Tensor logProbs, Tensor hasEos, int padId)
    {
        PromptIds = promptIds;
        PromptMask = promptMask;
        ResponseIds = responseIds;
        ResponseMask = responseMask;
        LogProbs = logProbs;
        HasEos = hasEos;
        PadId = padId;
        InputIds = cat(new[] { promptIds, responseIds }, 1);
        using var responseOnes = responseMask.to_type(ScalarType.Int64);
        AttentionMask = cat(new[] { promptMask, responseOnes }, 1);
    }

    /// <summary>int64 [B, P], left padded.</summary>
    public Tensor PromptIds { get; }
    /// <summary>int64 [B, P], 1 on prompt tokens.</summary>
    public Tensor PromptMask { get; }
    /// <summary>int64 [B, R], right padded; a row ends with its EOS when it has one.</summary>
    public Tensor ResponseIds { get; }
    /// <summary>bool [B, R], true on generated tokens (the EOS included): the RL trainers' response mask.</summary>
    public Tensor ResponseMask { get; }
    /// <summary>float32 [B, R], the generation log-probs, 0 at padding.</summary>
    public Tensor LogProbs { get; }
    /// <summary>bool [B]: the sequence finished with EOS (not at a stop string or the length limit).</summary>
    public Tensor HasEos { get; }
    /// <summary>int64 [B, P + R]: prompt then response.</summary>
    public Tensor InputIds { get; }
    /// <summary>int64 [B, P + R], 1 on real tokens: the attention mask of <see cref="InputIds"/>.</summary>
    public Tensor AttentionMask { get; }
    public int PadId { get; }

    public long PromptLength => PromptIds.shape[1];
    public long ResponseLength => ResponseIds.shape[1];

    /// <summary>The logits that predict the response tokens: positions P-1 .. P+R-2 of a forward over
    /// <see cref="InputIds"/> (the causal shift). [B, P+R, V] -> [B, R, V], a view.</summary>
    public Tensor ResponseLogits(Tensor logits)
    {
        if (logits.dim() != 3 || logits.shape[1] != PromptLength + ResponseLength)
            throw new ArgumentException($"logits must be [batch, {PromptLength + ResponseLength}, vocab], not [{string.Join(", ", logits.shape)}]");
        return logits.narrow(1, PromptLength - 1, ResponseLength);
    }

    internal static ResponseBatch From(IReadOnlyList<GeneratedSequence> sequences, int padId)
    {
        if (sequences.Count == 0) throw new ArgumentException("no sequences", nameof(sequences));
        int batch = sequences.Count;
        int promptLength = sequences.Max(s => s.PromptIds.Length);
        int responseLength = sequences.Max(s => s.TokenIds.Length);
        var prompt = new long[batch * promptLength];
        var promptMask = new long[batch * promptLength];
        var response = new long[batch * responseLength];
        var responseMask = new bool[batch * responseLength];
        var logProbs = new float[batch * responseLength];
        var hasEos = new bool[batch];
        Array.Fill(prompt, padId);
        Array.Fill(response, padId);
        for (int b = 0; b < batch; b++)
        {
            var s = sequences[b];
            int offset = b * promptLength + promptLength - s.PromptIds.Length;
            for (int t = 0; t < s.PromptIds.Length; t++)
            {
                prompt[offset + t] = s.PromptIds[t];
                promptMask[offset + t] = 1;
            }
            for (int t = 0; t < s.TokenIds.Length; t++)
            {
                response[b * responseLength + t] = s.TokenIds[t];
                responseMask[b * responseLength + t] = true;
                logProbs[b * responseLength + t] = s.LogProbs[t];
            }
            hasEos[b] = s.FinishReason == FinishReason.Eos;
        }
        return new ResponseBatch(
            tensor(prompt, new long[] { batch, promptLength }),
            tensor(promptMask, new long[] { batch, promptLength }),
            tensor(response, new long[] { batch, responseLength }),
            tensor(responseMask, new long[] { batch, responseLength }),
            tensor(logProbs, new long[] { batch, responseLength }),
            tensor(hasEos, new long[] { batch }),
            padId);
    }

    public void Dispose()
    {
        PromptIds.Dispose();
        PromptMask.Dispose();
        ResponseIds.Dispose();
        ResponseMask.Dispose();
        LogProbs.Dispose();
        HasEos.Dispose();
        InputIds.Dispose();
        AttentionMask.Dispose();
    }
}
