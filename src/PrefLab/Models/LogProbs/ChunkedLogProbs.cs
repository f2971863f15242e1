using PrefLab.Models.Layers;
using static TorchSharp.torch;

namespace PrefLab.Models.LogProbs;

/// <summary>
/// Token log-probs straight from final hidden states, the output projection applied a chunk of positions at a
/// time: log π_T(y_n) = z_n[y_n] - logsumexp(z_n) with z_n = (h_n W^T) / T, for N positions, without ever holding
/// more than one chunk's [chunk, vocab] logits. Under gradient the work is a custom autograd function
/// (<see cref="LmHeadLogProbsFunction"/>): forward keeps only the inputs and the N log-sum-exps; backward
/// recomputes each chunk's logits and applies the closed form ∂/∂z = g (onehot(y) - softmax(z)) / T, so
/// ∂h = ∂z W and ∂W = Σ_chunks ∂z^T h. The values match <see cref="TokenLogProbs.Gather(Tensor, Tensor, double)"/>
/// on the full logits to float32 rounding (the tests hold both, and their gradients, to 1e-5).
/// </summary>
public static class ChunkedLogProbs
{
    /// <summary>
    /// [N, H] hidden, [V, H] output weight (lm_head or the tied embedding), [N] int64 labels -> [N] float32.
    /// Differentiable w.r.t. hidden and weight when grad is enabled.
    /// </summary>
    /// <param name="precision">The model's linear-layer precision (bf16 products when it says so).</param>
    public static Tensor Gather(Tensor hidden, Tensor weight, Tensor labels, double temperature, int chunkTokens, ComputePrecision precision)
    {
        if (hidden.dim() != 2 || weight.dim() != 2 || hidden.shape[1] != weight.shape[1])
            throw new ArgumentException($"hidden [{string.Join(", ", hidden.shape)}] and weight [{string.Join(", ", weight.shape)}] must be [N, H] and [V, H]");
        if (labels.dim() != 1 || labels.shape[0] != hidden.shape[0])
            throw new ArgumentException($"labels [{string.Join(", ", labels.shape)}] must be [{hidden.shape[0]}]");
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be a positive finite number");
        if (chunkTokens < 1) throw new ArgumentOutOfRangeException(nameof(chunkTokens), chunkTokens, "a chunk holds at least one position");
        var settings = new ChunkSettings(temperature, chunkTokens, precision);
        var ids = labels.to_type(ScalarType.Int64);
        if (!is_grad_enabled() || !(hidden.requires_grad || weight.requires_grad))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return Forward(hidden, weight, ids, settings).LogProbs.MoveToOuterDisposeScope();
        }
        return LmHeadLogProbsFunction.apply(hidden, weight, ids, settings);
    }

    internal sealed record ChunkSettings(double Temperature, int ChunkTokens, ComputePrecision Precision);

    /// <summary>Chunk by chunk: log-probs [N] and log-sum-exps [N] (in the caller's scope; no graph).</summary>
    internal static (Tensor LogProbs, Tensor LogSumExp) Forward(Tensor hidden, Tensor weight, Tensor labels, ChunkSettings settings)
    {
        long n = hidden.shape[0];
        var logProbs = empty(n, dtype: ScalarType.Float32);       // [N]
        var logSumExp = empty(n, dtype: ScalarType.Float32);      // [N]
        for (long start = 0; start < n; start += settings.ChunkTokens)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(settings.ChunkTokens, n - start);
            var z = Logits(hidden.narrow(0, start, size), weight, settings);                     // [c, V] float32
            var lse = z.logsumexp(-1);                                                           // [c]
            var picked = z.gather(-1, labels.narrow(0, start, size).unsqueeze(-1)).squeeze(-1);  // [c]
            logProbs.narrow(0, start, size).copy_(picked - lse);
            logSumExp.narrow(0, start, size).copy_(lse);
        }
        return (logProbs, logSumExp);
    }

    /// <summary>One chunk's tempered logits z = (h W^T) / T: [c, H], [V, H] -> [c, V] float32.</summary>
    internal static Tensor Logits(Tensor hidden, Tensor weight, ChunkSettings settings)
    {
        var logits = Linear.Apply(hidden, weight, null, inputMajor: false, settings.Precision);
        if (logits.dtype != ScalarType.Float32) logits = logits.to_type(ScalarType.Float32);
        return settings.Temperature == 1.0 ? logits : logits.div(settings.Temperature);
    }

    /// <summary>
    /// The backward pass: ∂h [N, H] and ∂W [V, H] from the upstream gradient g [N], one chunk's logits at a time.
    /// The two results live in the caller's scope (autograd takes them from there); everything else is freed per chunk.
    /// </summary>
    internal static (Tensor Hidden, Tensor Weight) Backward(Tensor grad, Tensor hidden, Tensor weight, Tensor labels, Tensor logSumExp,
        ChunkSettings settings)
    {
        long n = hidden.shape[0];
        var gradHidden = empty_like(hidden);                                                     // [N, H]
        var gradWeight = zeros_like(weight);                                                     // [V, H]
        var upstream = grad.to_type(ScalarType.Float32).div(settings.Temperature);               // [N]: g / T
        for (long start = 0; start < n; start += settings.ChunkTokens)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(settings.ChunkTokens, n - start);
            var h = hidden.narrow(0, start, size);                                               // [c, H]
            var g = upstream.narrow(0, start, size).unsqueeze(-1);                               // [c, 1]
            var z = Logits(h, weight, settings);                                                 // [c, V]
            var gradLogits = z.sub_(logSumExp.narrow(0, start, size).unsqueeze(-1)).exp_().mul_(g).neg_(); // -g p / T
            gradLogits.scatter_add_(-1, labels.narrow(0, start, size).unsqueeze(-1), g);           // + g onehot(y) / T
            gradHidden.narrow(0, start, size).copy_(Product(gradLogits, weight, settings));       // [c, V] @ [V, H]
            gradWeight.add_(Product(gradLogits.t(), h, settings));                               // [V, c] @ [c, H]
        }
        return (gradHidden, gradWeight);
    }

    // a @ b in the linear layers' precision, the result float32 (as autograd of Linear.Apply computes it).
    static Tensor Product(Tensor a, Tensor b, ChunkSettings settings)
    {
        if (settings.Precision.LinearDtype is ScalarType low && low != a.dtype)
            return a.to(low).mm(b.to(low)).to_type(ScalarType.Float32);
        return a.mm(b);
    }
}

/// <summary>The autograd node of <see cref="ChunkedLogProbs.Gather"/>: inputs (hidden, weight, labels, settings).</summary>
internal sealed class LmHeadLogProbsFunction : autograd.SingleTensorFunction<LmHeadLogProbsFunction>
{
    public override string Name => "ChunkedLmHeadLogProbs";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (hidden, weight, labels, settings) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (ChunkedLogProbs.ChunkSettings)vars[3]);
        var (logProbs, logSumExp) = ChunkedLogProbs.Forward(hidden, weight, labels, settings);
        ctx.save_for_backward(new List<Tensor> { hidden, weight, labels, logSumExp });
        ctx.save_data("settings", settings);
        return logProbs;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var saved = ctx.get_saved_variables();
        var settings = (ChunkedLogProbs.ChunkSettings)ctx.get_data("settings");
        var (gradHidden, gradWeight) = ChunkedLogProbs.Backward(grad_output, saved[0], saved[1], saved[2], saved[3], settings);
        foreach (var t in saved) t.Dispose();
        return new List<Tensor> { gradHidden, gradWeight, null!, null! };
    }
}
