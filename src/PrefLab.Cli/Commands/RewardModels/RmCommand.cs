using System.CommandLine;
using PrefLab.Algorithms;
using PrefLab.Cli.Commands.Training;

namespace PrefLab.Cli.Commands.RewardModels;

/// <summary><c>preflab rm train|eval|score|normalize</c>: reward models.</summary>
public static class RmCommand
{
    public static Command Create()
    {
        var command = new Command("rm", "Reward models: train one on preference pairs, evaluate (accuracy, calibration, length bias, World gold agreement), score responses, normalise rewards.");
        command.Subcommands.Add(SpecOptions.Create(TrainingCommands.Named("rm train"), "train"));
        command.Subcommands.Add(RmEvalCommand.Create());
        command.Subcommands.Add(RmScoreCommand.Create());
        command.Subcommands.Add(RmNormalizeCommand.Create());
        return command;
    }
}
