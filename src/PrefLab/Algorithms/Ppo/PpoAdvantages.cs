using PrefLab.Algorithms.Common;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Ppo;

/// <summary>
/// The advantage pipeline of one PPO rollout in the order TRL's PPOTrainer runs it: optionally scale the rewards
/// (masked whitening without the mean shift; off by default, as the paper), GAE, returns = raw advantages + values,
/// then whiten the advantages over the batch's response tokens (on by default).
/// Pitfall avoided: the value targets must come from the advantages BEFORE whitening; whitening first would train
/// the value head towards a zero-mean, unit-variance target that is not a return.
/// </summary>
public static class PpoAdvantages
{
    /// <summary>
    /// [batch, resp] rewards (from <see cref="RewardShaping.Shape"/>), old values and response mask (right-padded)
    /// -> advantages (whitened when <paramref name="whitenAdvantages"/>) and returns; both 0 at masked positions.
    /// </summary>
    public static GaeResult Compute(Tensor rewards, Tensor values, Tensor mask,
        double gamma = Gae.DefaultGamma, double lambda = Gae.DefaultLambda, bool whitenRewards = false, bool whitenAdvantages = true)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shapedRewards = whitenRewards ? Masked.Whiten(rewards, mask, shiftMean: false) : rewards.alias();
        var raw = Gae.Compute(shapedRewards, values, mask, gamma, lambda);
        var advantages = whitenAdvantages ? Masked.Whiten(raw.Advantages, mask) : raw.Advantages;
        return new GaeResult(advantages.MoveToOuterDisposeScope(), raw.Returns.MoveToOuterDisposeScope());
    }
}
