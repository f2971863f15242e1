using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Lora;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>Which examples a micro-batch's indices refer to.</summary>
public enum DpoSplit { Train, Eval }

/// <summary>The reference log-probs of a micro-batch, from a cache or from a live model.</summary>
public interface IReferenceModel
{
    /// <summary>Summed completion log-probs, float64 [examples] each, of <paramref name="examples"/> of
    /// <paramref name="split"/>; <paramref name="batch"/> is their <see cref="Collator.PadPairs"/> batch.</summary>
    (Tensor Chosen, Tensor Rejected) LogProbs(DpoSplit split, IReadOnlyList<int> examples, TokenBatch batch);
}

/// <summary>Reference log-probs computed before training (or read from the cache); no model held.</summary>
public sealed class PrecomputedReference(ReferenceLogProbs train, ReferenceLogProbs? eval) : IReferenceModel
{
    public (Tensor Chosen, Tensor Rejected) LogProbs(DpoSplit split, IReadOnlyList<int> examples, TokenBatch batch) =>
        split == DpoSplit.Train ? train.Select(examples)
        : (eval ?? throw new InvalidOperationException("no reference log-probs for held-out data")).Select(examples);
}

/// <summary>A reference model kept in memory and run on every micro-batch (<c>--ref-cache off</c>).</summary>
/// <remarks>With <paramref name="adapters"/> the reference is <paramref name="model"/> itself with its LoRA adapters
/// switched off for the forward: the base model, without a second copy.</remarks>
public sealed class LiveReference(CausalLM model, LogitChunking? chunking = null, LoraAdapters? adapters = null) : IReferenceModel
{
    public (Tensor Chosen, Tensor Rejected) LogProbs(DpoSplit split, IReadOnlyList<int> examples, TokenBatch batch)
    {
        using var noGrad = no_grad();
        using var adaptersOff = adapters?.Disabled();
        var logps = PairLogProbs.Of(model, batch, chunking);
        return (logps.Chosen, logps.Rejected);
    }
}
