using System.CommandLine;
using PrefLab.Runtime;
using PrefLab.Runtime.Console;

namespace PrefLab.Cli.Lab;

/// <summary>
/// Runs one <c>preflab</c> command inside this process, the way the lab runs its training nodes: the same parsing,
/// validation and defaults a user gets on the command line, its output appended to a log file, its own progress bar
/// silenced (the lab's queue line owns the terminal), and any failure thrown rather than turned into an exit code.
/// </summary>
public static class InProcessCommand
{
    /// <param name="logPath">File the command's output is appended to; null discards it.</param>
    public static void Run(IReadOnlyList<string> args, string? logPath)
    {
        var root = CliApp.BuildRoot();
        var parse = root.Parse(args.ToArray());
        if (parse.Errors.Count > 0)
            throw new UserError($"`preflab {Shown(args)}`: " + string.Join("; ", parse.Errors.Select(e => e.Message).Distinct()));

        using TextWriter log = logPath is null ? TextWriter.Null : OpenLog(logPath);
        log.WriteLine($"$ preflab {Shown(args)}");
        bool quiet = ProgressReporter.Quiet;
        ProgressReporter.Quiet = true;
        try
        {
            int exit = parse.Invoke(new InvocationConfiguration { Output = log, Error = log, EnableDefaultExceptionHandler = false });
            if (exit != CliApp.ExitOk) throw new UserError($"`preflab {Shown(args)}` exited with code {exit} " + (logPath is null ? "" : $" (see {logPath})"));
        }
        finally
        {
            ProgressReporter.Quiet = quiet;
        }
    }

    static StreamWriter OpenLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return new StreamWriter(path, append: true) { AutoFlush = true };
    }

    static string Shown(IReadOnlyList<string> args) => string.Join(" ", args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}
