using static TorchSharp.torch;

namespace PrefLab.Training.Optimization;

/// <summary>
/// TorchSharp's AdamW with a step whose temporaries do not pile up. TorchSharp's own step computes
/// <c>denom = sqrt(v) / sqrt(1 - β2^t) + ε</c> as two new tensors per parameter inside ONE dispose scope around the
/// whole step, so it holds two extra copies of every parameter until the last one is updated: for Qwen2.5-0.5B in
/// fp32 that is about 4 GB above the gradients at the step's peak. This step takes the same operations in the same
/// order, element by element (so the same bits), but over slices of at most <see cref="SliceElements"/> values, each
/// in its own scope: two slice-sized temporaries at a time. The state (<c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>),
/// the parameter groups and the checkpoint format are the base class's, untouched. AMSGrad and <c>maximize</c> are
/// not offered (the factory never asks for them). The class is named <c>AdamW</c> like its base because TorchSharp
/// writes the optimizer's type name into every optimizer state file and refuses a file written under another name:
/// checkpoints written before this class existed, or by TorchSharp's own AdamW, resume here, and the other way round.
/// </summary>
public sealed class AdamW : TorchSharp.Modules.AdamW
{
    /// <summary>Largest slice of a parameter updated at once (4 Mi values, 16 MB in fp32).</summary>
    public const long SliceElements = 1L << 22;

    public AdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(groups, lr, beta1, beta2, eps, weightDecay, amsgrad: false, maximize: false)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
            using (enable_grad()) loss = closure();
        using var noGrad = no_grad();
        foreach (var group in _parameter_groups)
        {
            var options = (Options)group.Options;
            if (options.amsgrad == true || options.maximize == true)
                throw new NotSupportedException("PrefLab's AdamW has no AMSGrad or maximize variant");
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, eps = options.eps!.Value;
            double weightDecay = options.weight_decay!.Value, lr = options.LearningRate!.Value;
            foreach (var param in group.Parameters)
            {
                using var scope = NewDisposeScope();
                var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                double biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                double biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                double stepSize = lr / biasCorrection1, denominatorScale = Math.Sqrt(biasCorrection2);
                param.mul_(1 - lr * weightDecay);
                state.exp_avg.mul_(beta1).add_(grad, alpha: 1 - beta1);
                state.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
                Update(param, state.exp_avg, state.exp_avg_sq, denominatorScale, eps, stepSize);
            }
        }
        return loss!;
    }

    /// <summary>param -= stepSize · m / (sqrt(v) / scale + ε), in slices of flattened views of contiguous tensors (a
    /// small or non-contiguous parameter is one slice).</summary>
    static void Update(Tensor param, Tensor expAvg, Tensor expAvgSq, double denominatorScale, double eps, double stepSize)
    {
        long count = param.numel();
        if (count <= SliceElements || !param.is_contiguous() || !expAvg.is_contiguous() || !expAvgSq.is_contiguous())
        {
            UpdateSlice(param, expAvg, expAvgSq, denominatorScale, eps, stepSize);
            return;
        }
        var flatParam = param.view(-1);
        var flatAvg = expAvg.view(-1);
        var flatAvgSq = expAvgSq.view(-1);
        for (long start = 0; start < count; start += SliceElements)
        {
            using var slice = NewDisposeScope();
            long length = Math.Min(SliceElements, count - start);
            UpdateSlice(flatParam.narrow(0, start, length), flatAvg.narrow(0, start, length), flatAvgSq.narrow(0, start, length),
                denominatorScale, eps, stepSize);
        }
    }

    // TorchSharp's expression, operation for operation: denom = (sqrt(v) / scale).add_(ε); param.addcdiv_(m, denom, -step).
    static void UpdateSlice(Tensor param, Tensor expAvg, Tensor expAvgSq, double denominatorScale, double eps, double stepSize)
    {
        var denominator = (expAvgSq.sqrt() / denominatorScale).add_(eps);
        param.addcdiv_(expAvg, denominator, value: -stepSize);
    }
}
