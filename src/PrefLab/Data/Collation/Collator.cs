using static TorchSharp.torch;

namespace PrefLab.Data.Collation;

public enum PaddingSide { Right, Left }

/// <summary>A padded batch: ids and masks as tensors, all [batch, seq].</summary>
/// <param name="InputIds">int64 [batch, seq].</param>
/// <param name="AttentionMask">int64 [batch, seq], 1 on real tokens.</param>
/// <param name="LossMask">float32 [batch, seq], 1 on completion tokens (targets).</param>
/// <param name="SegmentIds">int64 [batch, seq] for packed rows: the example each token belongs to (1..k), 0 on
/// padding; null when no row is packed.</param>
public sealed record TokenBatch(Tensor InputIds, Tensor AttentionMask, Tensor LossMask, Tensor? SegmentIds = null) : IDisposable
{
    public long Tokens => (long)AttentionMask.sum().item<long>();

    /// <summary>The mask to give the model: segment ids for packed rows (attention stays inside each example),
    /// the 0/1 padding mask otherwise.</summary>
    public Tensor ModelMask => SegmentIds ?? AttentionMask;

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        LossMask.Dispose();
        SegmentIds?.Dispose();
    }
}

/// <summary>Pads sequences into tensors. Training pads on the right; generation prompts on the left.</summary>
public static class Collator
{
    public static TokenBatch Pad(IReadOnlyList<TokenizedSequence> sequences, int padId, PaddingSide side = PaddingSide.Right)
    {
        if (sequences.Count == 0) throw new ArgumentException("no sequences to pad", nameof(sequences));
        int length = sequences.Max(s => s.Length);
        int batch = sequences.Count;
        var ids = new long[batch * length];
        var attention = new long[batch * length];
        var loss = new float[batch * length];
        bool packed = sequences.Any(s => s.Segments is not null);
        var segments = packed ? new long[batch * length] : null;
        Array.Fill(ids, padId);
        for (int b = 0; b < batch; b++)
        {
            var s = sequences[b];
            int offset = b * length + (side == PaddingSide.Left ? length - s.Length : 0);
            for (int t = 0; t < s.Length; t++)
            {
                ids[offset + t] = s.Ids[t];
                attention[offset + t] = 1;
                loss[offset + t] = s.LossMask[t] ? 1f : 0f;
                if (segments is not null) segments[offset + t] = s.Segments?[t] ?? 1;
            }
        }
        return new TokenBatch(
            tensor(ids, new long[] { batch, length }),
            tensor(attention, new long[] { batch, length }),
            tensor(loss, new long[] { batch, length }),
            segments is null ? null : tensor(segments, new long[] { batch, length }));
    }

    /// <summary>Chosen sequences then rejected ones in one batch [2 x pairs, seq] (one forward pass for both, as
    /// DPO and reward modeling want): rows 0..n-1 are chosen, n..2n-1 rejected.</summary>
    public static TokenBatch PadPairs(IReadOnlyList<TokenizedPair> pairs, int padId) =>
        Pad(pairs.Select(p => p.Chosen).Concat(pairs.Select(p => p.Rejected)).ToList(), padId);

    /// <summary>Prompts for generation: left padded, no loss.</summary>
    public static TokenBatch PadPrompts(IReadOnlyList<int[]> prompts, int padId) =>
        Pad(prompts.Select(p => new TokenizedSequence(p, new bool[p.Length])).ToList(), padId, PaddingSide.Left);
}
