using System.Runtime.InteropServices;
using System.Text;
using PrefLab.Runtime.Distributed;
using static TorchSharp.torch;

namespace PrefLab.Training;

/// <summary>
/// Data-parallel training the Horovod way, over a <see cref="ProcessGroup"/>: every rank builds the same
/// <see cref="BatchPlan"/> (the global batch and data order of one process with <c>--grad-accum</c> × ranks), computes
/// its share of each step's micro-batches, and the gradients are summed over ranks (bucketed flat buffers) before
/// clipping and the optimizer step. Each micro-batch's loss is already divided by the whole step's weight, so the
/// sum is the one-process gradient: N ranks × batch B equal one process with batch B and N-fold accumulation.
/// </summary>
public static class DataParallel
{
    /// <summary>Gradient elements summed in one MPI call (16 MiB of fp32).</summary>
    public const long BucketElements = 4L << 20;

    /// <summary>The micro-batches of a step that <paramref name="rank"/> computes: every <paramref name="size"/>-th,
    /// starting at its rank (a short last step leaves the last ranks fewer, or none; they still take part in the sums).</summary>
    public static IReadOnlyList<T> Shard<T>(IReadOnlyList<T> microBatches, int rank, int size)
    {
        if (size < 1 || rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {size}");
        var mine = new List<T>();
        for (int i = rank; i < microBatches.Count; i += size) mine.Add(microBatches[i]);
        return mine;
    }

    /// <summary>Consecutive tensors of one element type grouped into buckets of at most <paramref name="cap"/> elements
    /// (a tensor larger than the cap is a bucket alone). Returns each bucket's indices.</summary>
    public static IReadOnlyList<int[]> Buckets(IReadOnlyList<(long Elements, ScalarType Type)> tensors, long cap)
    {
        var buckets = new List<int[]>();
        var current = new List<int>();
        long filled = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var (elements, type) = tensors[i];
            if (current.Count > 0 && (filled + elements > cap || tensors[current[0]].Type != type))
            {
                buckets.Add(current.ToArray());
                current.Clear();
                filled = 0;
            }
            current.Add(i);
            filled += elements;
        }
        if (current.Count > 0) buckets.Add(current.ToArray());
        return buckets;
    }

    /// <summary>Sums every parameter's gradient over the ranks, in place; a parameter without a gradient on this rank
    /// (no micro-batch here) takes part with zeros.</summary>
    public static void AllreduceGradients(ProcessGroup group, IReadOnlyList<TorchSharp.Modules.Parameter> parameters)
    {
        if (!group.IsDistributed) return;
        var layout = parameters.Select(p => (p.numel(), p.dtype)).ToList();
        foreach (int[] bucket in Buckets(layout, BucketElements))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var grads = new List<Tensor>();
            foreach (int i in bucket)
            {
                var parameter = parameters[i];
                if (parameter.grad is not { } grad)
                {
                    parameter.grad = zeros_like(parameter);
                    grad = parameter.grad!;
                }
                grads.Add(grad);
            }
            using var flat = cat(grads.Select(g => g.reshape(-1)).ToList(), 0).contiguous();
            Sum(group, flat);
            long offset = 0;
            foreach (var grad in grads)
            {
                long n = grad.numel();
                grad.copy_(flat.narrow(0, offset, n).view_as(grad));
                offset += n;
            }
        }
    }

    static void Sum(ProcessGroup group, Tensor flat)
    {
        switch (flat.dtype)
        {
            case ScalarType.Float32: group.AllreduceSum(MemoryMarshal.Cast<byte, float>(flat.bytes)); break;
            case ScalarType.Float64: group.AllreduceSum(MemoryMarshal.Cast<byte, double>(flat.bytes)); break;
            default: throw new NotSupportedException($"data-parallel gradients of type {flat.dtype} (only fp32 and fp64 are summed)");
        }
    }

    /// <summary>A step's loss sum, tokens and metric sums added over the ranks; a metric present on any rank is
    /// present in the result (a rank that saw none of it adds nothing).</summary>
    public static (double LossSum, long Tokens, Dictionary<string, (double Sum, double Weight)> Sums) ReduceStep(
        ProcessGroup group, double lossSum, long tokens, IReadOnlyDictionary<string, (double Sum, double Weight)> sums)
    {
        var own = sums.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        if (!group.IsDistributed) return (lossSum, tokens, own);
        var names = MetricNames(group.AllGather(EncodeNames(own.Keys)));
        var values = new double[2 + 2 * names.Count];
        values[0] = lossSum;
        values[1] = tokens;
        for (int i = 0; i < names.Count; i++)
            if (own.TryGetValue(names[i], out var pair)) (values[2 + 2 * i], values[3 + 2 * i]) = pair;
        group.AllreduceSum(values);
        var reduced = new Dictionary<string, (double Sum, double Weight)>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++) reduced[names[i]] = (values[2 + 2 * i], values[3 + 2 * i]);
        return (values[0], (long)Math.Round(values[1]), reduced);
    }

    public static byte[] EncodeNames(IEnumerable<string> names) => Encoding.UTF8.GetBytes(string.Join('\n', names.Order(StringComparer.Ordinal)));

    /// <summary>The union of every rank's encoded names, in ordinal order.</summary>
    public static IReadOnlyList<string> MetricNames(IEnumerable<byte[]> encoded) =>
        encoded.SelectMany(bytes => Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Before the first step: every rank must hold the same training options, the same examples (their count, weights
    /// and lengths) and the same starting weights, or the ranks would silently train different things.
    /// </summary>
    public static void CheckRanksAgree(ProcessGroup group, ITrainingObjective objective, TrainingOptions options,
        IReadOnlyList<TorchSharp.Modules.Parameter> parameters)
    {
        if (!group.IsDistributed) return;
        group.Agree("training options", options.ToString());
        var data = new StringBuilder().Append(objective.Count);
        for (int i = 0; i < objective.Count; i++)
        {
            data.Append(';').Append(objective.Weight([i]).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            if (objective.Length is { } length) data.Append(',').Append(length(i));
        }
        group.Agree("training data (example count, weights or token lengths)", data.ToString());
        AgreeOnWeights(group, "starting model weights (check --model and --seed)", parameters);
    }

    /// <summary>Every rank must start from the same weights (per tensor: shape, sum, sum of absolute values), or stop
    /// naming the first rank that differs.</summary>
    public static void AgreeOnWeights(ProcessGroup group, string what, IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        if (!group.IsDistributed) return;
        var weights = new StringBuilder();
        using (var scope = NewDisposeScope())
        using (no_grad())
            foreach (var p in parameters)
            {
                var asDouble = p.detach().to_type(ScalarType.Float64);
                weights.Append(string.Join('x', p.shape)).Append(':')
                    .Append(asDouble.sum().item<double>().ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(':')
                    .Append(asDouble.abs().sum().item<double>().ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(';');
            }
        group.Agree(what, weights.ToString());
    }
}
