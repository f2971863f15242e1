using System.CommandLine;

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
        yield return Training.SftCommands.Pretrain();
        yield return Training.SftCommands.Sft();
        yield return RewardModels.RmCommand.Create();
        yield return BestOfNCommand.Create();
        yield return Training.DpoCommand.Create();
        yield return Training.KtoCommand.Create();
        yield return Training.PpoCommand.Create();
        yield return Training.GroupRlCommands.Rloo();
        yield return Training.GroupRlCommands.Grpo();
        yield return Training.OnlineDpoCommand.Create();
        yield return LabCommand.Create();
        yield return DemoCommand.Create();
        yield return GenerateCommand.Create();
        yield return EvalCommand.Create();
        yield return ServeCommand.Create();
    }
}
