using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Runtime;
using PrefLab.Runtime.Options;
using PrefLab.Training;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.GroupRl;

/// <summary><c>preflab rloo</c> and <c>preflab grpo</c>: k samples per prompt, a group baseline, no value model.</summary>
public sealed class GroupRlCommand : ITrainingCommand
{
    public static readonly GroupRlCommand Rloo = new(GroupRlAlgorithm.Rloo, "rloo",
        "RLOO: k samples per prompt, each with the mean reward of the other k-1 as its baseline; the KL penalty to the reference " +
        "is folded into the sequence reward (β --beta, estimator --kl-estimator). No value model.");

    public static readonly GroupRlCommand Grpo = new(GroupRlAlgorithm.Grpo, "grpo",
        "GRPO: k samples per prompt, advantages normalised within the group (zero-variance groups give 0 and are counted); " +
        "clipped objective with a k3 KL term to the reference (β --beta) in the loss. No value model.");

    readonly GroupRlAlgorithm algorithm;
    public readonly OnlineRlSpecs Shared;
    public readonly OptionSpec<int> NumGenerations;
    public readonly OptionSpec<double> Beta;
    public readonly OptionSpec<double> ClipRange;
    public readonly OptionSpec<string> LossNormalization = new("loss-normalization", "per-sequence (the GRPO paper: mean over each response's tokens, then over responses) or token (every token weighs the same).") { Default = () => "per-sequence", HelpName = "per-sequence|token" };
    public readonly OptionSpec<string> KlEstimator = new("kl-estimator", "Per-token KL estimator summed into the reward penalty: k1, k2 or k3.") { Default = () => "k1", HelpName = "k1|k2|k3" };
    public readonly OptionSpec<bool> NoScaleRewards = new("no-scale-rewards", "Only centre the group's rewards (Dr. GRPO) instead of dividing by their std.");

    GroupRlCommand(GroupRlAlgorithm algorithm, string name, string description)
    {
        this.algorithm = algorithm;
        Name = name;
        Description = description;
        var defaults = new GroupRlJobOptions { Algorithm = algorithm, Policy = "", Prompts = "", Output = "" };   // the library's defaults
        Shared = new OnlineRlSpecs(defaults);
        NumGenerations = new("num-generations", "k: samples per prompt.") { Default = () => defaults.NumGenerations, HelpName = "K" };
        Beta = new("beta", IsRloo ? "β of the KL penalty folded into the sequence reward." : "β of the k3 KL term to the reference in the loss.")
        {
            Default = () => IsRloo ? GroupRlJobOptions.DefaultRlooBeta : GroupRl.Grpo.DefaultBeta, HelpName = "B",
        };
        ClipRange = new("cliprange", "Policy ratio clip ε.") { Default = () => defaults.ClipRange, HelpName = "E" };
    }

    bool IsRloo => algorithm == GroupRlAlgorithm.Rloo;

    public string Name { get; }
    public string Description { get; }

    // RLOO's loss is one ratio per sequence: nothing to normalise; only GRPO scales rewards.
    public IReadOnlyList<OptionSpec> Options => IsRloo
        ? Shared.Options(NumGenerations, Beta, ClipRange, KlEstimator)
        : Shared.Options(NumGenerations, Beta, ClipRange, LossNormalization, NoScaleRewards);

    public GroupRlJobOptions Bind(OptionValues values, TextWriter console) => Shared.Bind(new GroupRlJobOptions
    {
        Algorithm = algorithm,
        Policy = OptionPaths.ExistingFolder(values.Get(Shared.Policy), "policy"),
        Prompts = OptionPaths.ExistingFile(values.Get(Shared.Prompts), "prompts"),
        Output = values.Get(Shared.Trainer.Output),
        NumGenerations = values.Get(NumGenerations),
        Beta = values.Get(Beta),
        KlEstimator = IsRloo ? KlEstimators.Parse(values.Get(KlEstimator)) : null,
        ClipRange = values.Get(ClipRange),
        LossNormalization = IsRloo ? GroupLossNormalization.PerSequence : values.Get(LossNormalization) switch
        {
            "per-sequence" => GroupLossNormalization.PerSequence,
            "token" => GroupLossNormalization.Token,
            var other => throw UserError.InOption("loss-normalization", $"'{other}' is not per-sequence or token"),
        },
        ScaleRewards = IsRloo || !values.Get(NoScaleRewards),
    }, values, console);

    public TrainingResult Run(OptionValues values, TextWriter console) => GroupRlJob.Run(Bind(values, console));
}
