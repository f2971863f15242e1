using System.CommandLine;

namespace PrefLab.Cli.Commands;

/// <summary>Every command <c>preflab</c> offers. Register only commands that work.</summary>
public static class Registry
{
    public static IEnumerable<Command> All()
    {
        yield return InfoCommand.Create();
        yield return LabCommand.Create();
    }
}
