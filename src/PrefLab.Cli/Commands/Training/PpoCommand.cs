using System.CommandLine;
using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.Ppo;

namespace PrefLab.Cli.Commands.Training;

/// <summary><c>preflab ppo</c>: PPO with a value model, the paper's recipe as defaults.</summary>
public static class PpoCommand
{
    public static Command Create()
    {
        var shared = new OnlineRlOptionSet();
        var defaults = new PpoJobOptions { Policy = "", Prompts = "", Output = "" };   // the library's defaults, shown and applied
        var klCoef = new Option<double>("--kl-coef") { Description = "β of the per-token KL penalty r_t = -β (log π - log π_ref) (the initial β with --target-kl).", DefaultValueFactory = _ => defaults.KlCoef, HelpName = "B" };
        var klEstimator = new Option<string>("--kl-estimator") { Description = "Per-token KL estimator in the reward: k1 (log-ratio, the paper's), k2 or k3.", DefaultValueFactory = _ => KlEstimators.Name(defaults.KlEstimator), HelpName = "k1|k2|k3" };
        var targetKl = new Option<double?>("--target-kl") { Description = "Adapt β towards this sequence KL (Ziegler et al.'s controller); default: β fixed.", HelpName = "KL" };
        var klHorizon = new Option<double>("--kl-horizon") { Description = "Horizon of the adaptive KL controller, in samples.", DefaultValueFactory = _ => defaults.KlHorizon, HelpName = "N" };
        var gamma = new Option<double>("--gamma") { Description = "GAE discount γ.", DefaultValueFactory = _ => defaults.Gamma, HelpName = "G" };
        var lambda = new Option<double>("--lam") { Description = "GAE λ.", DefaultValueFactory = _ => defaults.Lambda, HelpName = "L" };
        var whitenRewards = new Option<bool>("--whiten-rewards") { Description = "Scale the per-token rewards by their std before GAE (advantages are always whitened)." };
        var clipRange = new Option<double>("--cliprange") { Description = "Policy ratio clip ε.", DefaultValueFactory = _ => defaults.ClipRange, HelpName = "E" };
        var clipRangeValue = new Option<double>("--cliprange-value") { Description = "Value clip around the rollout's values.", DefaultValueFactory = _ => defaults.ClipRangeValue, HelpName = "E" };
        var vfCoef = new Option<double>("--vf-coef") { Description = "Weight of the value loss.", DefaultValueFactory = _ => defaults.VfCoef, HelpName = "C" };
        var valueLr = new Option<double?>("--value-lr") { Description = "The value model's learning rate (its own AdamW; default: --lr).", HelpName = "X" };
        var command = new Command("ppo", "PPO with a value model (initialised from the reward model) against a frozen reference: the paper's recipe. " +
            "Writes the policy (Hugging Face layout) to --output and the value model to --output/value.")
        {
            klCoef, klEstimator, targetKl, klHorizon, gamma, lambda, whitenRewards, clipRange, clipRangeValue, vfCoef, valueLr,
        };
        shared.AddTo(command);
        command.SetAction(parse =>
        {
            var options = shared.Apply(new PpoJobOptions
            {
                Policy = CommandPaths.ExistingFolder(parse.GetValue(shared.Policy)!, "policy"),
                Prompts = CommandPaths.ExistingFile(parse.GetValue(shared.Prompts)!, "prompts"),
                Output = shared.Output(parse),
                KlCoef = parse.GetValue(klCoef),
                KlEstimator = KlEstimators.Parse(parse.GetValue(klEstimator)!),
                TargetKl = parse.GetValue(targetKl),
                KlHorizon = parse.GetValue(klHorizon),
                Gamma = parse.GetValue(gamma),
                Lambda = parse.GetValue(lambda),
                WhitenRewards = parse.GetValue(whitenRewards),
                ClipRange = parse.GetValue(clipRange),
                ClipRangeValue = parse.GetValue(clipRangeValue),
                VfCoef = parse.GetValue(vfCoef),
                ValueLr = parse.GetValue(valueLr),
            }, parse);
            var result = PpoJob.Run(options);
            TrainingSummary.Print(parse.InvocationConfiguration.Output, "ppo", options.Output, result);
            return CliApp.ExitOk;
        });
        return command;
    }
}
