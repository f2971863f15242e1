using static TorchSharp.torch;

namespace PrefLab.Models.Layers;

/// <summary>
/// The boolean mask every attention layer of one forward pass shares: query i (at cache position past+i) may see
/// key j when j &lt;= past+i (causal), key j is a real token (attention_mask 1), and past+i - j &lt; window
/// (Mistral's sliding window, Hugging Face's <c>kv_idx &gt; q_idx - sliding_window</c>). A query always sees
/// itself, so a padding row never has every key masked (that would give NaN, which then spreads through
/// masked-out keys' values); padding rows' outputs are never read.
/// <para>Packed sequences (several examples in one row, as SFT packing makes them) put segment ids in the
/// attention mask instead of ones — 1 for the first example, 2 for the next, 0 for padding (axolotl's
/// convention): a query then sees only keys of its own segment, so examples never attend to each other.</para>
/// </summary>
public static class AttentionMask
{
    /// <param name="keyMask">[B, past+T], 1 for real tokens (or segment ids 1..k, see <paramref name="segmented"/>);
    /// null when every token is real.</param>
    /// <param name="segmented">The mask holds segment ids: keys must also share the query's segment.</param>
    /// <param name="causalFlag">True when the caller should pass no mask and scaled_dot_product_attention's causal
    /// flag instead (no padding, no cache, window not reached: the flag's top-left alignment is then right).</param>
    /// <returns>bool [B or 1, 1, T, past+T], true where attention is allowed; null when no mask is needed.</returns>
    public static Tensor? Build(Tensor? keyMask, long past, long length, int? window, out bool causalFlag, bool segmented = false)
    {
        long total = past + length;
        bool windowBites = window is int w && total > w;
        causalFlag = false;
        if (keyMask is null && !windowBites)
        {
            if (past == 0 && length > 1)
            {
                causalFlag = true;
                return null;
            }
            if (length == 1) return null; // one new query sees the whole cache
        }
        using var scope = NewDisposeScope();
        var queryPositions = arange(past, total, dtype: ScalarType.Int64).unsqueeze(1); // [T, 1]
        var keyPositions = arange(0, total, dtype: ScalarType.Int64).unsqueeze(0);      // [1, S]
        var allowed = keyPositions.le(queryPositions);                                  // [T, S]
        if (windowBites) allowed = allowed.logical_and((queryPositions - keyPositions).lt(window!.Value));
        var mask = allowed.unsqueeze(0).unsqueeze(0);                                   // [1, 1, T, S]
        if (keyMask is not null)
        {
            var real = keyMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1);            // [B, 1, 1, S]
            var self = keyPositions.eq(queryPositions);                                 // [T, S]
            mask = mask.logical_and(real);
            if (segmented) mask = mask.logical_and(SameSegment(keyMask, past, length));
            mask = mask.logical_or(self);
        }
        return mask.MoveToOuterDisposeScope();
    }

    /// <summary>bool [B, 1, T, S]: key j carries the segment id of query i (cache position past+i).</summary>
    public static Tensor SameSegment(Tensor segmentIds, long past, long length)
    {
        var keys = segmentIds.to(ScalarType.Int64);                                      // [B, S]
        var queries = keys.narrow(1, past, length);                                      // [B, T]
        return keys.unsqueeze(1).eq(queries.unsqueeze(2)).unsqueeze(1);                  // [B, 1, T, S]
    }

    /// <summary>
    /// Position ids [B, T] of packed sequences: each token's index within its own segment (keys of its segment at
    /// or before it, minus one), so every packed example starts at position 0 as it would alone. Padding gets 0.
    /// </summary>
    public static Tensor SegmentPositions(Tensor segmentIds, long past, long length)
    {
        using var scope = NewDisposeScope();
        long total = past + length;
        var queryPositions = arange(past, total, dtype: ScalarType.Int64).unsqueeze(1); // [T, 1]
        var keyPositions = arange(0, total, dtype: ScalarType.Int64).unsqueeze(0);      // [1, S]
        var causal = keyPositions.le(queryPositions);                                   // [T, S]
        var real = segmentIds.ne(0).unsqueeze(1);                                       // [B, 1, S]
        var same = SameSegment(segmentIds, past, length).squeeze(1).logical_and(causal).logical_and(real); // [B, T, S]
        return (same.sum(-1, type: ScalarType.Int64) - 1).clamp_min(0).MoveToOuterDisposeScope();
    }
}
