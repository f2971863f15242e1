using PrefLab.Runtime;

namespace PrefLab.Cli.Commands;

/// <summary>Checks on path options, failing with one line naming the option.</summary>
public static class CommandPaths
{
    public static string ExistingFile(string path, string option) =>
        File.Exists(path) ? path : throw UserError.InOption(option, $"file not found: {path}");

    public static string ExistingFolder(string path, string option) =>
        Directory.Exists(path) ? path : throw UserError.InOption(option, $"folder not found: {path}");
}
