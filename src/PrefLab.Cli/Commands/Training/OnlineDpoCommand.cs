using System.CommandLine;
using PrefLab.Algorithms.OnlineDpo;

namespace PrefLab.Cli.Commands.Training;

/// <summary><c>preflab online-dpo</c>: DPO on pairs the current policy samples and a judge labels, round after round.</summary>
public static class OnlineDpoCommand
{
    public static Command Create()
    {
        var shared = new OnlineRlOptionSet();
        var defaults = new OnlineDpoJobOptions { Policy = "", Prompts = "", Output = "" };   // the library's defaults
        var numGenerations = new Option<int>("--num-generations")
        {
            Description = "k: samples per prompt each round; the judge's best and worst make the pair.", DefaultValueFactory = _ => defaults.NumGenerations, HelpName = "K",
        };
        var beta = new Option<double>("--beta") { Description = "β of the DPO loss.", DefaultValueFactory = _ => OnlineDpoJobOptions.DefaultBeta, HelpName = "B" };
        var labelNoise = new Option<double>("--label-noise")
        {
            Description = "Swap each pair's label with this probability: a simulated annotator that agrees with the judge 1 - ε of the time.",
            DefaultValueFactory = _ => defaults.LabelNoise, HelpName = "E",
        };
        var command = new Command("online-dpo",
            "Online (iterative) DPO: each round samples k responses per prompt from the current policy, the judge (--reward-model, or " +
            "--reward gold with --world) scores them, the best and the worst of each prompt make a pair, and DPO steps on those pairs " +
            "move the policy against the frozen reference (the SFT policy). Rounds: --total-episodes / --rollout-batch-size.")
        {
            numGenerations, beta, labelNoise,
        };
        shared.AddTo(command);
        command.SetAction(parse =>
        {
            var options = shared.Apply(new OnlineDpoJobOptions
            {
                Policy = CommandPaths.ExistingFolder(parse.GetValue(shared.Policy)!, "policy"),
                Prompts = CommandPaths.ExistingFile(parse.GetValue(shared.Prompts)!, "prompts"),
                Output = shared.Output(parse),
                NumGenerations = parse.GetValue(numGenerations),
                Beta = parse.GetValue(beta),
                LabelNoise = parse.GetValue(labelNoise),
            }, parse);
            var result = OnlineDpoJob.Run(options);
            TrainingSummary.Print(parse.InvocationConfiguration.Output, "online-dpo", options.Output, result);
            return CliApp.ExitOk;
        });
        return command;
    }
}
