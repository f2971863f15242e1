namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// The numbers one minibatch's update computed, reported after its optimizer step (<see cref="OnlineRlOptions.OnMinibatch"/>).
/// Ratio statistics are over the minibatch's response tokens, measured before the step.
/// </summary>
/// <param name="Step">The update (1-based).</param>
/// <param name="Epoch">The pass over the rollout batch (0-based).</param>
/// <param name="Minibatch">The minibatch within the pass (0-based).</param>
/// <param name="Rows">Samples in the minibatch.</param>
/// <param name="ClipFraction">policy/clipfrac of this minibatch.</param>
/// <param name="ApproxKl">policy/approxkl of this minibatch.</param>
/// <param name="MaxRatioDeviation">max |ρ - 1| over its response tokens (exactly 0 when new and old log-probs agree bit for bit).</param>
/// <param name="ValueClipFraction">val/clipfrac (PPO; null without a value model).</param>
public sealed record MinibatchReport(long Step, int Epoch, int Minibatch, int Rows, double ClipFraction, double ApproxKl,
    double MaxRatioDeviation, double? ValueClipFraction);
