using System.CommandLine;

namespace PrefLab.Cli;

/// <summary>Options every command accepts (DESIGN.md): declared once, recursive from the root.</summary>
public static class GlobalOptions
{
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Print stack traces with errors, and more detail while working.",
        Recursive = true,
    };

    public static readonly Option<int> Threads = new("--threads")
    {
        Description = "LibTorch intra-op threads (default: LibTorch's, usually the number of cores).",
        Recursive = true,
        HelpName = "N",
    };

    public static readonly Option<FileInfo?> Config = new("--config")
    {
        Description = "YAML or JSON file whose keys are option names; options on the command line win.",
        Recursive = true,
        HelpName = "FILE",
    };

    static GlobalOptions()
    {
        Threads.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !(int.TryParse(result.Tokens[^1].Value, out int n) && n >= 1))
                result.AddError($"option --threads: must be a positive whole number, not '{result.Tokens[^1].Value}'");
        });
    }

    public static void AddTo(Command root)
    {
        root.Options.Add(Verbose);
        root.Options.Add(Threads);
        root.Options.Add(Config);
    }
}
