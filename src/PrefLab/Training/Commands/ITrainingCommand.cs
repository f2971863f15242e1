using PrefLab.Runtime.Options;

namespace PrefLab.Training.Commands;

/// <summary>
/// A training command as the library declares it: its options (names, help, defaults) and how their values become the
/// job's options record and run. The CLI parses a command line into <see cref="OptionValues"/> and prints the result;
/// the lab reads a grid's settings into the same values. Neither holds a default or a check of its own.
/// </summary>
public interface ITrainingCommand
{
    /// <summary>The command as typed after <c>preflab</c> (<c>sft</c>, <c>rm train</c>, ...).</summary>
    string Name { get; }
    string Description { get; }
    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Binds <paramref name="values"/> to the job's options and runs it; notes (e.g. emulated bf16) go to
    /// <paramref name="console"/>, as does the job's own output.</summary>
    TrainingResult Run(OptionValues values, TextWriter console);
}

/// <summary>Checks on path options, failing with one line naming the option.</summary>
public static class OptionPaths
{
    public static string ExistingFile(string path, string option) =>
        File.Exists(path) ? path : throw Runtime.UserError.InOption(option, $"file not found: {path}");

    public static string ExistingFolder(string path, string option) =>
        Directory.Exists(path) ? path : throw Runtime.UserError.InOption(option, $"folder not found: {path}");
}
