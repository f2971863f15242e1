using static TorchSharp.torch;

namespace PrefLab.Training;

/// <summary>
/// What a supervised trainer (pretrain, SFT, RM, DPO) plugs into <see cref="Trainer"/>: the examples, the
/// loss of a micro-batch, and the model's trainable parameters. The loop owns accumulation, clipping, the
/// schedule, logging, evaluation, checkpoints and resume.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>Number of training examples.</summary>
    int Count { get; }

    /// <summary>Example length in tokens, for bucketing; null for none.</summary>
    Func<int, int>? Length { get; }

    /// <summary>The tensors the optimizer updates.</summary>
    IEnumerable<TorchSharp.Modules.Parameter> Parameters { get; }

    /// <summary>What the loss of these examples is normalised by — their count for per-example losses, their
    /// loss-bearing tokens for token-level losses — known before any forward pass, so that gradient
    /// accumulation over micro-batches gives exactly the gradient of the whole batch.</summary>
    double Weight(IReadOnlyList<int> examples);

    /// <summary>Forward pass of a micro-batch in training mode. Returns the SUM of the loss over its weight
    /// units (the loop divides by the whole step's weight), metric sums, and the tokens processed.</summary>
    MicroBatchResult Compute(IReadOnlyList<int> examples);

    /// <summary>Held-out metrics (names like "eval/loss"), or an empty dictionary when there is no held-out data.</summary>
    IReadOnlyDictionary<string, double> Evaluate();

    /// <summary>Writes the trainable model (Hugging Face layout) into a folder: checkpoints and the final model.</summary>
    void SaveModel(string folder);

    /// <summary>Writes what a checkpoint needs to resume into a folder: by default the same as <see cref="SaveModel"/>;
    /// a LoRA run writes only its adapter (the base never changes).</summary>
    void SaveCheckpointModel(string folder) => SaveModel(folder);

    /// <summary>Loads the weights saved by <see cref="SaveCheckpointModel"/> back into the live model (resume).</summary>
    void LoadModel(string folder);
}

/// <summary>One micro-batch's loss (a scalar with gradient, summed over weight units) and metrics.</summary>
/// <param name="MetricSums">Each metric as (sum, weight); the loop reports sum / weight over the step.</param>
/// <param name="Tokens">Non-pad tokens that went through the model (for tokens/s).</param>
public sealed record MicroBatchResult(Tensor LossSum, IReadOnlyDictionary<string, (double Sum, double Weight)> MetricSums, long Tokens);

/// <summary>
/// Implemented by an objective whose step metrics are not all plain sum / weight means of its
/// <see cref="MicroBatchResult.MetricSums"/> (KTO: a label absent from a step has no reward metric, and
/// <c>rewards/margins</c> is the difference of two means). The loop then logs what <see cref="StepMetrics"/> returns
/// instead, beside its own <c>loss</c>, <c>lr</c>, <c>grad_norm</c> and <c>tokens_per_sec</c>.
/// </summary>
public interface IStepMetrics
{
    /// <summary>The metrics of a step from its micro-batches' summed (sum, weight) pairs.</summary>
    IReadOnlyDictionary<string, double> StepMetrics(IReadOnlyDictionary<string, (double Sum, double Weight)> sums);
}
