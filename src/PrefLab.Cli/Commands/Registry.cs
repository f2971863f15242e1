using System.CommandLine;
using PrefLab.Algorithms;
using PrefLab.Cli.Commands.Training;

namespace PrefLab.Cli.Commands;

/// <summary>Every command <c>preflab</c> offers. Register only commands that work.</summary>
public static class Registry
{
    public static IEnumerable<Command> All()
    {
        yield return InfoCommand.Create();
        yield return Data.DataCommand.Create();
        yield return WorldCommand.Create();
        yield return TokenizeCommand.Create();
        yield return InitModelCommand.Create();
        yield return LogitsCommand.Create();
        yield return LoraCommand.Create();
        yield return SpecOptions.Create(TrainingCommands.Named("pretrain"));
        yield return SpecOptions.Create(TrainingCommands.Named("sft"));
        yield return RewardModels.RmCommand.Create();
        yield return BestOfNCommand.Create();
        foreach (string name in new[] { "dpo", "kto", "ppo", "rloo", "grpo", "online-dpo" })
            yield return SpecOptions.Create(TrainingCommands.Named(name));
        yield return LabCommand.Create();
        yield return DemoCommand.Create();
        yield return GenerateCommand.Create();
        yield return EvalCommand.Create();
        yield return ServeCommand.Create();
    }
}
