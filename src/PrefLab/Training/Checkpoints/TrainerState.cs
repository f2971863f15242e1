namespace PrefLab.Training.Checkpoints;

/// <summary>Where a run stands: enough, with the model and optimizer files, to resume exactly.</summary>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="Epoch">Epoch of the next step.</param>
/// <param name="StepInEpoch">Index of the next step within <see cref="Epoch"/> (the data position).</param>
/// <param name="TorchRngState">torch's global generator state (base64).</param>
/// <param name="Extra">Trainer-specific state (named strings), e.g. a PPO sampler's generator.</param>
public sealed record TrainerState(long Step, int Epoch, int StepInEpoch, string TorchRngState, IReadOnlyDictionary<string, string> Extra);
