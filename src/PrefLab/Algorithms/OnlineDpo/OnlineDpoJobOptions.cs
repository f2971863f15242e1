using PrefLab.Algorithms.OnlineRl;
using PrefLab.Runtime;

namespace PrefLab.Algorithms.OnlineDpo;

/// <summary>
/// An online (iterative) DPO run (<c>preflab online-dpo</c>; the lab builds one too): the shared online RL options
/// plus the pairing's and the loss's. Each update is a round: k samples for each of the rollout's prompts from the
/// current policy, the judge's best and worst of each prompt's samples as a pair (<see cref="OnlinePairs"/>), then
/// --ppo-epochs passes of --num-minibatches DPO steps over the pairs against the frozen reference (the SFT model).
/// Defaults: k = 2 samples and β = 0.1 (TRL's OnlineDPOTrainer), no label noise.
/// </summary>
public sealed record OnlineDpoJobOptions : OnlineRlOptions
{
    /// <summary>k: samples per prompt (≥ 2); the pair is the best and the worst of them.</summary>
    public int NumGenerations { get; init; } = 2;
    /// <summary>β of the DPO loss -log σ(β((log π_c - log π_ref,c) - (log π_r - log π_ref,r))).</summary>
    public double Beta { get; init; } = DefaultBeta;
    /// <summary>ε: each pair's label is swapped with this probability (a simulated annotator; 0: the judge's labels).</summary>
    public double LabelNoise { get; init; }

    public const double DefaultBeta = 0.1;

    public override void Validate()
    {
        base.Validate();
        if (NumGenerations < 2) throw UserError.InOption("num-generations", $"must be at least 2 (a pair needs two samples), not {NumGenerations}");
        if (!(Beta > 0) || !double.IsFinite(Beta)) throw UserError.InOption("beta", $"must be a positive number, not {Beta}");
        if (!(LabelNoise >= 0 && LabelNoise <= 0.5)) throw UserError.InOption("label-noise", $"must be in [0, 0.5], not {LabelNoise}");
    }
}
