using PrefLab.Models.Config;
using PrefLab.Models.Layers;
using static TorchSharp.torch;

namespace PrefLab.Models.Architectures;

/// <summary>
/// A transformer without its head: token ids in, final hidden states out (after the final norm). Hugging Face's
/// <c>LlamaModel</c> / <c>GPT2Model</c>; the heads (<see cref="CausalLM"/>, <see cref="ScalarHeadModel"/>) hold
/// one under the family's prefix ("model" or "transformer").
/// </summary>
public abstract class Backbone : nn.Module
{
    protected Backbone(string name, ModelConfig config, ComputePrecision precision) : base(name)
    {
        Config = config;
        Precision = precision;
    }

    public ModelConfig Config { get; }
    public ComputePrecision Precision { get; }

    /// <summary>The token embedding (also the output projection when embeddings are tied).</summary>
    public abstract Embedding TokenEmbedding { get; }

    /// <summary>
    /// input_ids [B, T] int64 -> hidden states [B, T, hidden].
    /// </summary>
    /// <param name="attentionMask">[B, past+T], 1 for real tokens (left or right padding); null when all are real.
    /// Packed rows put segment ids 1..k there instead (0 still padding): tokens attend only within their segment.</param>
    /// <param name="positionIds">[B, T]; null derives them from the mask (cumsum - 1, clamped at 0; restarting at
    /// 0 in every segment of a packed row) or counts from the cache length.</param>
    /// <param name="cache">Appended to in place when given.</param>
    public abstract Tensor forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache);
}

/// <summary>What one forward pass shares across layers: shapes, position ids, the attention mask.</summary>
internal sealed record ForwardInputs(long Batch, long Length, long Past, Tensor PositionIds, Tensor? Mask, bool CausalFlag)
{
    /// <summary>Validates shapes and ids and derives positions and the mask (tensors land in the caller's scope).</summary>
    public static ForwardInputs Prepare(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache,
        int vocabSize, int? window)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input_ids must be [batch, seq], not [{string.Join(", ", inputIds.shape)}]");
        if (inputIds.dtype != ScalarType.Int64) throw new ArgumentException($"input_ids must be int64, not {inputIds.dtype}");
        long batch = inputIds.shape[0], length = inputIds.shape[1];
        if (length == 0) throw new ArgumentException("input_ids has no positions");
        long past = cache?.Length ?? 0;
        if (cache is not null && past > 0 && cache.BatchSize != batch)
            throw new ArgumentException($"the cache holds {cache.BatchSize} rows but input_ids has {batch}");
        long low = inputIds.min().item<long>(), high = inputIds.max().item<long>();
        if (low < 0 || high >= vocabSize)
            throw new ArgumentOutOfRangeException(nameof(inputIds), $"token id {(low < 0 ? low : high)} is outside the vocabulary [0, {vocabSize})");
        bool segmented = false;
        if (attentionMask is not null)
        {
            if (attentionMask.dim() != 2 || attentionMask.shape[0] != batch || attentionMask.shape[1] != past + length)
                throw new ArgumentException($"attention_mask must be [batch {batch}, past+seq {past + length}], not [{string.Join(", ", attentionMask.shape)}]");
            if (attentionMask.dtype != ScalarType.Bool)
            {
                long lowest = attentionMask.min().to(ScalarType.Int64).item<long>();
                if (lowest < 0) throw new ArgumentException($"attention_mask holds {lowest}; it must be 0 (padding), 1 (real) or a segment id 1..k (packed)");
                segmented = attentionMask.max().to(ScalarType.Int64).item<long>() > 1;
            }
            if (!segmented && attentionMask.all().item<bool>()) attentionMask = null; // no padding: the cheaper paths apply
        }
        if (positionIds is null)
        {
            positionIds = segmented
                ? AttentionMask.SegmentPositions(attentionMask!, past, length)
                : attentionMask is null
                ? arange(past, past + length, dtype: ScalarType.Int64).unsqueeze(0)   // [1, T], broadcast over rows
                : (attentionMask.to(ScalarType.Int64).cumsum(-1) - 1).clamp_min(0).narrow(1, past, length);
        }
        else if (positionIds.dim() != 2 || positionIds.shape[1] != length || (positionIds.shape[0] != batch && positionIds.shape[0] != 1))
        {
            throw new ArgumentException($"position_ids must be [batch, seq], not [{string.Join(", ", positionIds.shape)}]");
        }
        var mask = AttentionMask.Build(attentionMask, past, length, window, out bool causal, segmented);
        return new ForwardInputs(batch, length, past, positionIds, mask, causal);
    }
}
