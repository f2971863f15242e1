using System.CommandLine;

namespace PrefLab.Cli.Commands.Data;

/// <summary><c>preflab data stats|convert|mix|prompts</c>: inspect and prepare datasets in every supported format.</summary>
public static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Inspect, convert, mix and extract prompts from preference, SFT and prompt datasets (JSONL or Parquet).");
        command.Subcommands.Add(StatsCommand.Create());
        command.Subcommands.Add(ConvertCommand.Create());
        command.Subcommands.Add(MixCommand.Create());
        command.Subcommands.Add(PromptsCommand.Create());
        return command;
    }
}
