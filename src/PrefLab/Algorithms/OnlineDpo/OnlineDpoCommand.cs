using PrefLab.Algorithms.OnlineRl;
using PrefLab.Runtime.Options;
using PrefLab.Training;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.OnlineDpo;

/// <summary><c>preflab online-dpo</c>: DPO on pairs the current policy samples and a judge labels, round after round.</summary>
public sealed class OnlineDpoCommand : ITrainingCommand
{
    static readonly OnlineDpoJobOptions Defaults = new() { Policy = "", Prompts = "", Output = "" };   // the library's defaults

    // After Defaults, which its fields read.
    public static readonly OnlineDpoCommand Instance = new();

    public readonly OnlineRlSpecs Shared = new(Defaults);
    public readonly OptionSpec<int> NumGenerations = new("num-generations", "k: samples per prompt each round; the judge's best and worst make the pair.") { Default = () => Defaults.NumGenerations, HelpName = "K" };
    public readonly OptionSpec<double> Beta = new("beta", "β of the DPO loss.") { Default = () => OnlineDpoJobOptions.DefaultBeta, HelpName = "B" };
    public readonly OptionSpec<double> LabelNoise = new("label-noise", "Swap each pair's label with this probability: a simulated annotator that agrees with the judge 1 - ε of the time.") { Default = () => Defaults.LabelNoise, HelpName = "E" };

    OnlineDpoCommand() { }

    public string Name => "online-dpo";
    public string Description =>
        "Online (iterative) DPO: each round samples k responses per prompt from the current policy, the judge (--reward-model, or " +
        "--reward gold with --world) scores them, the best and the worst of each prompt make a pair, and DPO steps on those pairs " +
        "move the policy against the frozen reference (the SFT policy). Rounds: --total-episodes / --rollout-batch-size.";
    public IReadOnlyList<OptionSpec> Options => Shared.Options(NumGenerations, Beta, LabelNoise);

    public OnlineDpoJobOptions Bind(OptionValues values, TextWriter console) => Shared.Bind(new OnlineDpoJobOptions
    {
        Policy = OptionPaths.ExistingFolder(values.Get(Shared.Policy), "policy"),
        Prompts = OptionPaths.ExistingFile(values.Get(Shared.Prompts), "prompts"),
        Output = values.Get(Shared.Trainer.Output),
        NumGenerations = values.Get(NumGenerations),
        Beta = values.Get(Beta),
        LabelNoise = values.Get(LabelNoise),
    }, values, console);

    public TrainingResult Run(OptionValues values, TextWriter console) => OnlineDpoJob.Run(Bind(values, console));
}
