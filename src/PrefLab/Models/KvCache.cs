using static TorchSharp.torch;

namespace PrefLab.Models;

/// <summary>
/// Keys and values of past positions, per layer ([batch, kv_heads, length, head_dim], after the rotation), as
/// Hugging Face's DynamicCache: the caller creates it (<see cref="CausalLM.NewCache"/>), passes it to each
/// forward, and the forward appends the new positions. The model itself keeps no state. Storage grows by
/// doubling, so appending one token copies nothing already cached. Dispose it when the sequence is done.
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly Tensor?[] keys;
    readonly Tensor?[] values;
    readonly long[] lengths;
    bool disposed;

    public KvCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
        lengths = new long[layers];
    }

    public int LayerCount => keys.Length;

    /// <summary>Positions cached so far (the <c>past</c> of the next forward).</summary>
    public long Length => lengths[0];

    /// <summary>Rows in the cache, or 0 before the first forward.</summary>
    public long BatchSize => keys[0]?.shape[0] ?? 0;

    /// <summary>Appends k, v [B, kv_heads, T, D] to layer <paramref name="layer"/> and returns views of all of
    /// that layer's keys and values [B, kv_heads, past+T, D] (valid until the next append).</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        long length = lengths[layer];
        long added = k.shape[2];
        if (keys[layer] is { } existing && existing.shape[0] != k.shape[0])
            throw new ArgumentException($"the cache holds {existing.shape[0]} rows but the forward has {k.shape[0]}");
        if (keys[layer] is null || keys[layer]!.shape[2] < length + added)
        {
            long capacity = Math.Max(length + added, Math.Max(16, 2 * (keys[layer]?.shape[2] ?? 0)));
            keys[layer] = Grow(keys[layer], k, length, capacity);
            values[layer] = Grow(values[layer], v, length, capacity);
        }
        using (var slot = keys[layer]!.narrow(2, length, added)) slot.copy_(k);
        using (var slot = values[layer]!.narrow(2, length, added)) slot.copy_(v);
        lengths[layer] = length + added;
        return (keys[layer]!.narrow(2, 0, length + added), values[layer]!.narrow(2, 0, length + added));
    }

    /// <summary>Keeps the rows <paramref name="indices"/> (int64 [B']) in that order: drop finished sequences or
    /// reorder, as Hugging Face's <c>reorder_cache</c>.</summary>
    public void SelectRows(Tensor indices)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        for (int layer = 0; layer < keys.Length; layer++)
        {
            if (keys[layer] is null) continue;
            var k = keys[layer]!.index_select(0, indices).DetachFromDisposeScope();
            var v = values[layer]!.index_select(0, indices).DetachFromDisposeScope();
            keys[layer]!.Dispose();
            values[layer]!.Dispose();
            keys[layer] = k;
            values[layer] = v;
        }
    }

    static Tensor Grow(Tensor? old, Tensor like, long length, long capacity)
    {
        var grown = empty(new[] { like.shape[0], like.shape[1], capacity, like.shape[3] }, like.dtype, like.device)
            .DetachFromDisposeScope();
        if (old is not null)
        {
            using (var kept = old.narrow(2, 0, length))
            using (var slot = grown.narrow(2, 0, length))
                slot.copy_(kept);
            old.Dispose();
        }
        return grown;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        for (int layer = 0; layer < keys.Length; layer++)
        {
            keys[layer]?.Dispose();
            values[layer]?.Dispose();
            keys[layer] = values[layer] = null;
        }
    }
}
