using PrefLab.Training.Commands;

namespace PrefLab.Cli.Commands;

/// <summary>Checks on path options, failing with one line naming the option (the library's <see cref="OptionPaths"/>).</summary>
public static class CommandPaths
{
    public static string ExistingFile(string path, string option) => OptionPaths.ExistingFile(path, option);

    public static string ExistingFolder(string path, string option) => OptionPaths.ExistingFolder(path, option);
}
