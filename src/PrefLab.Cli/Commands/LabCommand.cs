using System.CommandLine;
using PrefLab.Cli.Lab;
using PrefLab.Lab.Report;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab lab</c>: the experiment lab. <c>lab report DIR</c> writes DIR/report.md and DIR/plots/ from the
/// results store; <c>lab run GRID --output DIR</c> runs a grid (resuming where an earlier run stopped), then reports.</summary>
public static class LabCommand
{
    public static Command Create()
    {
        var lab = new Command("lab", "The experiment lab: grids of runs over preference data, algorithms, reward models and prompts, with a results store and a report.");
        lab.Subcommands.Add(CreateRun());
        lab.Subcommands.Add(CreateReport());
        lab.Subcommands.Add(CreateNode());
        return lab;
    }

    static Command CreateRun()
    {
        var grid = new Argument<string>("GRID") { Description = "The grid file (YAML): factors, levels, fixed options, seeds." };
        var output = new Option<string>("--output") { Description = "The lab folder: work/ (every node's run), results.sqlite, report.md, plots/. Running again resumes: finished nodes are reused, an interrupted one continues from its checkpoint.", Required = true, HelpName = "DIR" };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Go on past a failed node with every node that does not depend on it." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Expand and plan the grid, print the nodes, and stop without running anything." };
        var noReport = new Option<bool>("--no-report") { Description = "Do not write report.md and plots/ after the run." };
        var jobs = JobsOption(defaultJobs: 1);
        var command = new Command("run", "Run a grid of experiments into a lab folder (resumable), then write the report and print the headline table.")
        {
            grid, output, keepGoing, dryRun, noReport, jobs,
        };
        command.SetAction(parse => LabSession.Run(
            CommandPaths.ExistingFile(parse.GetValue(grid)!, "GRID"), parse.GetValue(output)!, parse.InvocationConfiguration.Output,
            keepGoing: parse.GetValue(keepGoing), planOnly: parse.GetValue(dryRun), report: !parse.GetValue(noReport), jobs: parse.GetValue(jobs)));
        return command;
    }

    /// <summary><c>--jobs N</c>: nodes run at once (<see cref="PrefLab.Lab.Execution.LabRunOptions.Jobs"/>).</summary>
    public static Option<int> JobsOption(int defaultJobs)
    {
        var jobs = new Option<int>("--jobs")
        {
            Description = "Nodes run at once, each in its own process with the threads divided among them (world, pretraining and SFT run alone, " +
                "with all threads). On small models two 1-thread jobs on 2 cores do more work than one 2-thread job. Results depend on the " +
                "jobs and threads (the numerics of a thread count), never on timing.",
            DefaultValueFactory = _ => defaultJobs,
            HelpName = "N",
        };
        jobs.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !(int.TryParse(r.Tokens[^1].Value, out int n) && n >= 1))
                r.AddError($"option --jobs: must be a whole number of at least 1, not '{r.Tokens[^1].Value}'");
        });
        return jobs;
    }

    /// <summary><c>lab node GRID --output DIR --node ID</c> (hidden): one node of a parallel lab run, in its own process.
    /// The lab run that starts it holds the folder's lock and records the result.</summary>
    static Command CreateNode()
    {
        var grid = new Argument<string>("GRID") { Description = "The grid file the lab run planned." };
        var output = new Option<string>("--output") { Description = "The lab folder.", Required = true, HelpName = "DIR" };
        var node = new Option<string>("--node") { Description = "The node's id.", Required = true, HelpName = "ID" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the node folder's last checkpoint." };
        var command = new Command("node", "Run one node of a lab run (started by `lab run --jobs N`).") { grid, output, node, resume };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            long flops = PrefLab.Lab.Execution.LabRunner.RunNode(CommandPaths.ExistingFile(parse.GetValue(grid)!, "GRID"), parse.GetValue(output)!,
                parse.GetValue(node)!, parse.GetValue(resume), new PrefLab.Lab.Execution.LabExecutor());
            parse.InvocationConfiguration.Output.WriteLine(PrefLab.Lab.Execution.LabRunner.ChildResultPrefix +
                new System.Text.Json.Nodes.JsonObject { ["model_flops"] = flops }.ToJsonString());
            return CliApp.ExitOk;
        });
        return command;
    }

    static Command CreateReport()
    {
        var dir = new Argument<string>("DIR") { Description = "The lab folder (holding results.sqlite)." };
        var grid = new Option<string?>("--grid") { Description = "Report only the runs of grids with this name.", HelpName = "NAME" };
        var resamples = new Option<int>("--resamples")
        {
            Description = "Bootstrap resamples per interval.",
            DefaultValueFactory = _ => 2000,
            HelpName = "N",
        };
        resamples.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !(int.TryParse(r.Tokens[^1].Value, out int n) && n >= 100))
                r.AddError($"option --resamples: must be a whole number of at least 100, not '{r.Tokens[^1].Value}'");
        });
        var bootstrapSeed = new Option<long>("--bootstrap-seed") { Description = "Seed of the bootstrap's resampling.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var baseline = new Option<string[]>("--baseline")
        {
            Description = "Baseline level of a factor, as FACTOR=LEVEL (data, algorithm, reward_model, prompts); repeatable. Default: each factor's first level.",
            HelpName = "FACTOR=LEVEL",
        };
        var noPlots = new Option<bool>("--no-plots") { Description = "Write report.md only, without PNG plots." };
        var command = new Command("report", "Write DIR/report.md (the four analyses with 95% intervals) and DIR/plots/*.png from DIR/results.sqlite, and print the headline table.")
        {
            dir, grid, resamples, bootstrapSeed, baseline, noPlots,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var baselines = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string pair in parse.GetValue(baseline) ?? [])
            {
                int equals = pair.IndexOf('=');
                if (equals <= 0 || equals == pair.Length - 1) throw UserError.InOption("baseline", $"'{pair}' is not FACTOR=LEVEL");
                baselines[pair[..equals].Replace('-', '_')] = pair[(equals + 1)..];
            }
            var options = new LabReportOptions
            {
                Grid = parse.GetValue(grid),
                Bootstrap = new PrefLab.Statistics.BootstrapOptions { Resamples = parse.GetValue(resamples), Seed = parse.GetValue(bootstrapSeed) },
                Baselines = baselines,
                Plots = !parse.GetValue(noPlots),
            };
            LabSession.WriteReport(parse.GetValue(dir)!, output, options);
            return CliApp.ExitOk;
        });
        return command;
    }
}
