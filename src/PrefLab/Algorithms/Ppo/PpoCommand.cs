using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Runtime.Options;
using PrefLab.Training;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.Ppo;

/// <summary><c>preflab ppo</c>: PPO with a value model, the paper's recipe as defaults.</summary>
public sealed class PpoCommand : ITrainingCommand
{
    static readonly PpoJobOptions Defaults = new() { Policy = "", Prompts = "", Output = "" };   // the library's defaults, shown and applied

    // After Defaults, which its fields read.
    public static readonly PpoCommand Instance = new();

    public readonly OnlineRlSpecs Shared = new(Defaults);
    public readonly OptionSpec<double> KlCoef = new("kl-coef", "β of the per-token KL penalty r_t = -β (log π - log π_ref) (the initial β with --target-kl).") { Default = () => Defaults.KlCoef, HelpName = "B" };
    public readonly OptionSpec<string> KlEstimator = new("kl-estimator", "Per-token KL estimator in the reward: k1 (log-ratio, the paper's), k2 or k3.") { Default = () => KlEstimators.Name(Defaults.KlEstimator), HelpName = "k1|k2|k3" };
    public readonly OptionSpec<double?> TargetKl = new("target-kl", "Adapt β towards this sequence KL (Ziegler et al.'s controller); default: β fixed.") { HelpName = "KL" };
    public readonly OptionSpec<double> KlHorizon = new("kl-horizon", "Horizon of the adaptive KL controller, in samples.") { Default = () => Defaults.KlHorizon, HelpName = "N" };
    public readonly OptionSpec<double> Gamma = new("gamma", "GAE discount γ.") { Default = () => Defaults.Gamma, HelpName = "G" };
    public readonly OptionSpec<double> Lambda = new("lam", "GAE λ.") { Default = () => Defaults.Lambda, HelpName = "L" };
    public readonly OptionSpec<bool> WhitenRewards = new("whiten-rewards", "Scale the per-token rewards by their std before GAE (advantages are always whitened).");
    public readonly OptionSpec<double> ClipRange = new("cliprange", "Policy ratio clip ε.") { Default = () => Defaults.ClipRange, HelpName = "E" };
    public readonly OptionSpec<double> ClipRangeValue = new("cliprange-value", "Value clip around the rollout's values.") { Default = () => Defaults.ClipRangeValue, HelpName = "E" };
    public readonly OptionSpec<double> VfCoef = new("vf-coef", "Weight of the value loss.") { Default = () => Defaults.VfCoef, HelpName = "C" };
    public readonly OptionSpec<double?> ValueLr = new("value-lr", "The value model's learning rate (its own AdamW; default: --lr).") { HelpName = "X" };

    PpoCommand() { }

    public string Name => "ppo";
    public string Description => "PPO with a value model (initialised from the reward model) against a frozen reference: the paper's recipe. " +
        "Writes the policy (Hugging Face layout) to --output and the value model to --output/value.";
    public IReadOnlyList<OptionSpec> Options =>
        Shared.Options(KlCoef, KlEstimator, TargetKl, KlHorizon, Gamma, Lambda, WhitenRewards, ClipRange, ClipRangeValue, VfCoef, ValueLr);

    public PpoJobOptions Bind(OptionValues values, TextWriter console) => Shared.Bind(new PpoJobOptions
    {
        Policy = OptionPaths.ExistingFolder(values.Get(Shared.Policy), "policy"),
        Prompts = OptionPaths.ExistingFile(values.Get(Shared.Prompts), "prompts"),
        Output = values.Get(Shared.Trainer.Output),
        KlCoef = values.Get(KlCoef),
        KlEstimator = KlEstimators.Parse(values.Get(KlEstimator)),
        TargetKl = values.Get(TargetKl),
        KlHorizon = values.Get(KlHorizon),
        Gamma = values.Get(Gamma),
        Lambda = values.Get(Lambda),
        WhitenRewards = values.Get(WhitenRewards),
        ClipRange = values.Get(ClipRange),
        ClipRangeValue = values.Get(ClipRangeValue),
        VfCoef = values.Get(VfCoef),
        ValueLr = values.Get(ValueLr),
    }, values, console);

    public TrainingResult Run(OptionValues values, TextWriter console) => PpoJob.Run(Bind(values, console));
}
