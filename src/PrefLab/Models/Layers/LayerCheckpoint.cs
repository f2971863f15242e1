using static TorchSharp.torch;

namespace PrefLab.Models.Layers;

/// <summary>
/// Gradient (activation) checkpointing of one decoder block, as <c>torch.utils.checkpoint</c> in its reentrant form
/// and Hugging Face's <c>gradient_checkpointing_enable()</c>: the forward runs without recording a graph and keeps
/// only the block's input; the backward runs the block again with gradients on, back-propagates the incoming
/// gradient through it (the block's own parameters accumulate their <c>.grad</c> there) and hands on the gradient
/// of the input. A training step then holds one block's activations instead of every block's, for one more
/// forward of the backbone per step.
///
/// Dropout (LoRA's) draws the same masks in the recomputation: the forward records the global generator's state
/// and runs in "training forward" mode (<see cref="TrainingForward"/>), and the backward replays from that state
/// and restores the generator afterwards, so a checkpointed step leaves the generator, and every gradient, as the
/// plain step does.
/// </summary>
public static class LayerCheckpoint
{
    /// <summary>One block: input [B, T, H] and the extra tensors it reads (positions, mask; not differentiated) -> [B, T, H].</summary>
    public delegate Tensor Block(Tensor input, IReadOnlyList<Tensor?> extras);

    /// <summary>Whether a backbone forward should checkpoint its blocks: asked for, recording gradients, no KV cache.</summary>
    public static bool Applies(ComputePrecision compute, KvCache? cache) =>
        compute.CheckpointLayers && cache is null && is_grad_enabled();

    /// <summary><paramref name="block"/>(<paramref name="input"/>) with its activations recomputed in backward.</summary>
    public static Tensor Apply(Block block, Tensor input, params Tensor?[] extras)
    {
        // With a frozen embedding (LoRA) the first block's input records no gradient, and autograd would then never
        // call this node's backward, leaving the block's adapters without gradients: give the node an input that
        // asks for one (Hugging Face's enable_input_require_grads), and discard that gradient.
        bool inputNeedsGrad = input.requires_grad;
        var recorded = inputNeedsGrad ? input : input.detach().requires_grad_(true);
        var vars = new object?[2 + extras.Length];
        vars[0] = recorded;
        vars[1] = new CheckpointWork(block, extras.Length, inputNeedsGrad);
        for (int i = 0; i < extras.Length; i++) vars[2 + i] = extras[i];
        return CheckpointFunction.apply(vars!);
    }

    internal sealed record CheckpointWork(Block Block, int Extras, bool InputNeedsGrad);

    static long recomputed;

    /// <summary>Blocks recomputed in backward so far, in this process (diagnostics and tests).</summary>
    public static long RecomputedBlocks => Interlocked.Read(ref recomputed);

    internal static void CountRecomputation() => Interlocked.Increment(ref recomputed);
}

/// <summary>
/// Whether the current forward is a training forward: recording gradients, or the graph-free first pass of a
/// checkpointed block, whose recomputation will record them. Training-only behaviour (dropout) asks this
/// rather than <c>is_grad_enabled()</c>, so both passes of a checkpointed block behave alike.
/// </summary>
public static class TrainingForward
{
    [ThreadStatic] static int checkpointDepth;

    public static bool IsActive => checkpointDepth > 0 || is_grad_enabled();

    internal static IDisposable Checkpointed() => new Depth();

    sealed class Depth : IDisposable
    {
        bool disposed;
        public Depth() => checkpointDepth++;
        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            checkpointDepth--;
        }
    }
}

/// <summary>The autograd node of <see cref="LayerCheckpoint.Apply"/>: inputs (input, work, extras...).</summary>
internal sealed class CheckpointFunction : autograd.SingleTensorFunction<CheckpointFunction>
{
    public override string Name => "LayerCheckpoint";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var work = (LayerCheckpoint.CheckpointWork)vars[1];
        var extras = Extras(vars, work);
        var rngState = get_rng_state();                              // before the block draws any dropout mask
        Tensor output;
        using (TrainingForward.Checkpointed()) output = work.Block(input, extras);
        var saved = new List<Tensor> { input, rngState };
        saved.AddRange(extras.Select(e => e!));                      // null extras are saved as empty slots
        ctx.save_for_backward(saved);
        ctx.save_data("work", work);
        return output;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var work = (LayerCheckpoint.CheckpointWork)ctx.get_data("work");
        var saved = ctx.get_saved_variables();
        Tensor? inputGrad = null;
        using (var scope = NewDisposeScope())
        {
            var extras = saved.Skip(2).Select(t => t is null || t.IsInvalid ? null : t).ToList();
            var outerRng = get_rng_state();
            set_rng_state(saved[1]);
            try
            {
                using var grad = enable_grad();
                var input = saved[0].detach().requires_grad_(work.InputNeedsGrad);
                var output = work.Block(input, extras);                // [B, T, H], now with a graph
                LayerCheckpoint.CountRecomputation();
                autograd.backward(new[] { output }, new[] { grad_output });  // the block's parameters accumulate here
                if (work.InputNeedsGrad) inputGrad = input.grad!.MoveToOuterDisposeScope();
            }
            finally
            {
                set_rng_state(outerRng);
            }
        }
        foreach (var t in saved) t?.Dispose();
        var grads = new List<Tensor> { inputGrad!, null! };
        for (int i = 0; i < work.Extras; i++) grads.Add(null!);
        return grads;
    }

    static List<Tensor?> Extras(object[] vars, LayerCheckpoint.CheckpointWork work) =>
        Enumerable.Range(0, work.Extras).Select(i => vars[2 + i] as Tensor).ToList();
}
