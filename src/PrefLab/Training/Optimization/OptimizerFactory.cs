using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrefLab.Training.Optimization;

/// <summary>
/// AdamW with the paper's betas and an explicit weight decay, over each distinct trainable tensor once:
/// TorchSharp lists a weight shared by two modules (tied embeddings) twice, and AdamW would step it twice.
/// Weight decay applies to matrices only (norm weights and biases are exempt, as in HF's Trainer). The step is
/// <see cref="Optimization.AdamW"/>'s: TorchSharp's numerics without its two extra copies of the model at the step's peak.
/// </summary>
public static class OptimizerFactory
{
    public static AdamW AdamW(IEnumerable<Parameter> parameters, TrainingOptions options)
    {
        var distinct = Distinct(parameters).Where(p => p.requires_grad).ToList();
        if (distinct.Count == 0) throw new InvalidOperationException("no trainable parameters");
        var decayed = distinct.Where(p => p.dim() >= 2).ToList();
        var exempt = distinct.Where(p => p.dim() < 2).ToList();
        var groups = new List<TorchSharp.Modules.AdamW.ParamGroup>();
        if (decayed.Count > 0)
            groups.Add(new TorchSharp.Modules.AdamW.ParamGroup(decayed, options.Lr, options.Beta1, options.Beta2, options.Eps, options.WeightDecay, false, false));
        if (exempt.Count > 0)
            groups.Add(new TorchSharp.Modules.AdamW.ParamGroup(exempt, options.Lr, options.Beta1, options.Beta2, options.Eps, 0.0, false, false));
        return new AdamW(groups, options.Lr, options.Beta1, options.Beta2, options.Eps, options.WeightDecay);
    }

    /// <summary>Each native tensor once, in first-seen order.</summary>
    public static IEnumerable<Parameter> Distinct(IEnumerable<Parameter> parameters)
    {
        var seen = new HashSet<IntPtr>();
        foreach (var p in parameters)
            if (seen.Add(p.Handle)) yield return p;
    }

    /// <summary>
    /// Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>, its default): no pass over the
    /// gradients to zero them, the next backward writes each gradient instead of adding it to zeros, and the memory is
    /// free between steps (during PPO's generation, evaluation, checkpoints). TorchSharp's <c>zero_grad()</c> zeroes in place.
    /// </summary>
    public static void ClearGradients(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters) p.grad = null;
    }

    public static void SetLearningRate(optim.Optimizer optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }
}
