using System.CommandLine;
using PrefLab.Runtime;
using PrefLab.Runtime.Distributed;

namespace PrefLab.Cli;

/// <summary>
/// The <c>preflab</c> shell: builds the command tree, merges <c>--config</c>, and applies one error policy —
/// a user error is one line on standard error and exit code 2 (stack trace only with --verbose), an
/// unexpected error exit code 1.
/// </summary>
public static class CliApp
{
    public const int ExitOk = 0;
    public const int ExitInternalError = 1;
    public const int ExitUserError = 2;

    /// <summary>The root is a plain command named "preflab" (a RootCommand takes the host's file name, which
    /// under `dotnet run` is PrefLab.Cli), with help and version added as RootCommand would.</summary>
    public static Command BuildRoot()
    {
        var root = new Command("preflab",
            "PrefLab: learn language models from preference feedback (SFT, reward models, DPO, PPO) and study what matters.");
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        root.Options.Add(new VersionOption { Action = new PrintVersion() });
        GlobalOptions.AddTo(root);
        foreach (var command in Commands.Registry.All()) root.Subcommands.Add(command);
        return root;
    }

    /// <summary>The commands that run data-parallel under mpirun (each rank a share of every batch); others are refused there.</summary>
    public static readonly IReadOnlyList<string> DataParallelCommands = ["pretrain", "sft", "rm train", "dpo", "kto", "ppo", "rloo", "grpo", "online-dpo"];

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        bool verbose = args.Contains("--verbose");
        var group = ProcessGroup.Current;
        string who = group.IsDistributed ? $" (rank {group.Rank} of {group.Size})" : "";
        try
        {
            var root = BuildRoot();
            var parse = root.Parse(args);
            if (parse.Errors.Count == 0 && parse.GetValue(GlobalOptions.Config) is FileInfo config)
                parse = root.Parse(ConfigFile.Merge(args, config.FullName, parse.CommandResult.Command));
            if (parse.Errors.Count > 0)
            {
                // One line per distinct problem, naming the option; no help dump.
                foreach (string message in parse.Errors.Select(e => e.Message).Distinct())
                    error.WriteLine($"preflab: error{who}: {message}");
                return Stop(ExitUserError, error);
            }
            if (group.IsDistributed && CommandPath(parse.CommandResult) is { Length: > 0 } path && !DataParallelCommands.Contains(path))
                throw new UserError($"'{path}' does not run under mpirun (data-parallel training covers {string.Join(", ", DataParallelCommands)}); run it as one process");
            int threads = parse.GetValue(GlobalOptions.Threads);
            if (threads > 0) TorchRuntime.SetThreads(threads);
            else if (group.LocalSize > 1) TorchRuntime.SetThreads(MpiLaunch.DefaultThreads(Environment.ProcessorCount, group.LocalSize));
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Unwrap(e) is UserError user)
        {
            error.WriteLine($"preflab: error{who}: {user.Message}");
            if (verbose) error.WriteLine(user);
            return Stop(ExitUserError, error);
        }
        catch (Exception e)
        {
            error.WriteLine($"preflab: internal error{who}: {e.GetType().Name}: {e.Message}" + (verbose ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) error.WriteLine(e);
            return Stop(ExitInternalError, error);
        }
    }

    /// <summary>A failing rank of an mpirun job ends the whole job (MPI_Abort), so no other rank waits for it in a
    /// collective; one process just returns its exit code.</summary>
    static int Stop(int exitCode, TextWriter error)
    {
        var group = ProcessGroup.Current;
        if (!group.IsDistributed) return exitCode;
        error.Flush();
        group.Abort(exitCode);
        return exitCode;
    }

    /// <summary>"rm train" for `preflab rm train ...`; empty for the root command.</summary>
    static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var at = result; at?.Parent is System.CommandLine.Parsing.CommandResult parent; at = parent) names.Insert(0, at.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>The library's version: VersionOption's own reads the entry assembly, which in a test host
    /// or another program embedding PrefLab is not ours.</summary>
    public static string Version => PrefLab.Runtime.LibraryInfo.Version;

    sealed class PrintVersion : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitOk;
        }
    }

    static Exception Unwrap(Exception e)
    {
        while (e is AggregateException or System.Reflection.TargetInvocationException or TypeInitializationException && e.InnerException is not null)
            e = e.InnerException!;
        return e;
    }
}
