using System.CommandLine;
using PrefLab.Algorithms.GroupRl;
using PrefLab.Algorithms.Kl;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands.Training;

/// <summary><c>preflab rloo</c> and <c>preflab grpo</c>: k samples per prompt, a group baseline, no value model.</summary>
public static class GroupRlCommands
{
    public static Command Rloo() => Create(GroupRlAlgorithm.Rloo, "rloo",
        "RLOO: k samples per prompt, each with the mean reward of the other k-1 as its baseline; the KL penalty to the reference " +
        "is folded into the sequence reward (β --beta, estimator --kl-estimator). No value model.");

    public static Command Grpo() => Create(GroupRlAlgorithm.Grpo, "grpo",
        "GRPO: k samples per prompt, advantages normalised within the group (zero-variance groups give 0 and are counted); " +
        "clipped objective with a k3 KL term to the reference (β --beta) in the loss. No value model.");

    static Command Create(GroupRlAlgorithm algorithm, string name, string description)
    {
        var shared = new OnlineRlOptionSet();
        bool rloo = algorithm == GroupRlAlgorithm.Rloo;
        var defaults = new GroupRlJobOptions { Algorithm = algorithm, Policy = "", Prompts = "", Output = "" };   // the library's defaults
        var numGenerations = new Option<int>("--num-generations") { Description = "k: samples per prompt.", DefaultValueFactory = _ => defaults.NumGenerations, HelpName = "K" };
        var beta = new Option<double>("--beta")
        {
            Description = rloo ? "β of the KL penalty folded into the sequence reward." : "β of the k3 KL term to the reference in the loss.",
            DefaultValueFactory = _ => rloo ? GroupRlJobOptions.DefaultRlooBeta : PrefLab.Algorithms.GroupRl.Grpo.DefaultBeta,
            HelpName = "B",
        };
        var clipRange = new Option<double>("--cliprange") { Description = "Policy ratio clip ε.", DefaultValueFactory = _ => defaults.ClipRange, HelpName = "E" };
        var normalization = new Option<string>("--loss-normalization") { Description = "per-sequence (the GRPO paper: mean over each response's tokens, then over responses) or token (every token weighs the same).", DefaultValueFactory = _ => "per-sequence", HelpName = "per-sequence|token" };
        var command = new Command(name, description) { numGenerations, beta, clipRange };
        if (!rloo) command.Options.Add(normalization);   // RLOO's loss is one ratio per sequence: nothing to normalise
        Option<string>? klEstimator = null;
        Option<bool>? noScale = null;
        if (rloo)
        {
            klEstimator = new Option<string>("--kl-estimator") { Description = "Per-token KL estimator summed into the reward penalty: k1, k2 or k3.", DefaultValueFactory = _ => "k1", HelpName = "k1|k2|k3" };
            command.Options.Add(klEstimator);
        }
        else
        {
            noScale = new Option<bool>("--no-scale-rewards") { Description = "Only centre the group's rewards (Dr. GRPO) instead of dividing by their std." };
            command.Options.Add(noScale);
        }
        shared.AddTo(command);
        command.SetAction(parse =>
        {
            var options = shared.Apply(new GroupRlJobOptions
            {
                Algorithm = algorithm,
                Policy = CommandPaths.ExistingFolder(parse.GetValue(shared.Policy)!, "policy"),
                Prompts = CommandPaths.ExistingFile(parse.GetValue(shared.Prompts)!, "prompts"),
                Output = shared.Output(parse),
                NumGenerations = parse.GetValue(numGenerations),
                Beta = parse.GetValue(beta),
                KlEstimator = klEstimator is null ? null : KlEstimators.Parse(parse.GetValue(klEstimator)!),
                ClipRange = parse.GetValue(clipRange),
                LossNormalization = rloo ? GroupLossNormalization.PerSequence : parse.GetValue(normalization) switch
                {
                    "per-sequence" => GroupLossNormalization.PerSequence,
                    "token" => GroupLossNormalization.Token,
                    var other => throw UserError.InOption("loss-normalization", $"'{other}' is not per-sequence or token"),
                },
                ScaleRewards = noScale is null || !parse.GetValue(noScale),
            }, parse);
            var result = GroupRlJob.Run(options);
            TrainingSummary.Print(parse.InvocationConfiguration.Output, name, options.Output, result);
            return CliApp.ExitOk;
        });
        return command;
    }
}
