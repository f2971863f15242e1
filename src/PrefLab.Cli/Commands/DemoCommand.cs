using System.CommandLine;
using PrefLab.Cli.Lab;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab demo</c>: the four-component study on a Preference World, end to end: world, base and SFT
/// models, reward models, DPO and PPO runs, evaluations, report and plots, in one resumable lab folder.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output") { Description = "The lab folder (running again resumes and reuses what is done).", DefaultValueFactory = _ => "preflab-demo", HelpName = "DIR" };
        var quick = new Option<bool>("--quick") { Description = "A smaller study (one seed, one reward model, one prompt set, shorter training, 10 items a category): a few minutes." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Write the grid and print the planned nodes without running them." };
        var command = new Command("demo", "Run the paper's four-component study (data, algorithm, reward model, prompts) on a Preference World and report the effects with 95% intervals.")
        {
            output, quick, dryRun,
        };
        command.SetAction(parse =>
        {
            string folder = Path.GetFullPath(parse.GetValue(output)!);
            bool isQuick = parse.GetValue(quick);
            Directory.CreateDirectory(folder);
            string grid = Path.Combine(folder, isQuick ? "demo-quick.yaml" : "demo.yaml");
            AtomicFile.WriteAllText(grid, DemoGrid.Text(isQuick));
            var writer = parse.InvocationConfiguration.Output;
            writer.WriteLine($"Demo grid: {grid}");
            return LabSession.Run(grid, folder, writer, planOnly: parse.GetValue(dryRun));
        });
        return command;
    }
}
