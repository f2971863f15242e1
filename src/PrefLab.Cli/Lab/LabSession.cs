using System.Globalization;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Plan;
using PrefLab.Lab.Report;
using PrefLab.Runtime.Console;

namespace PrefLab.Cli.Lab;

/// <summary>What <c>lab run</c> and <c>demo</c> share: run a grid with the real executor (Ctrl+C stops after the
/// current node; running again resumes), then write the report and print the headline table.</summary>
public static class LabSession
{
    /// <summary>The executable parallel lab runs start their nodes with; null: this process's own (tests, whose process
    /// is the test host, name the built CLI).</summary>
    public static string? NodeLauncherPath { get; set; }

    /// <param name="afterReport">Called with the report once it is written (the demo writes instrument.json from it).</param>
    /// <param name="jobs">Nodes run at once (<see cref="LabRunOptions.Jobs"/>); above 1, in child processes of this executable.</param>
    public static int Run(string gridPath, string labDir, TextWriter output, bool keepGoing = false, bool planOnly = false, bool report = true,
        Action<LabReportResult, LabRunSummary>? afterReport = null, int jobs = 1)
    {
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancellation.IsCancellationRequested) return; // a second Ctrl+C ends the process
            e.Cancel = true;
            cancellation.Cancel();
            Console.Error.WriteLine("lab: stopping after the current node (Ctrl+C again to stop now); run the same command to resume");
        };
        Console.CancelKeyPress += onCancel;
        LabRunSummary summary;
        try
        {
            summary = LabRunner.Run(gridPath, labDir, new LabExecutor(), new LabRunOptions
            {
                KeepGoing = keepGoing, PlanOnly = planOnly, Cancellation = cancellation.Token, Log = output,
                Jobs = jobs, Launcher = jobs > 1 ? new PreflabNodeLauncher(NodeLauncherPath) : null,
            });
        }
        catch (OperationCanceledException)
        {
            output.WriteLine($"lab: stopped; finished nodes are kept in {Path.GetFullPath(labDir)}; run the same command to resume");
            return CliApp.ExitUserError;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        var plan = summary.Plan;
        if (planOnly)
        {
            output.WriteLine($"Grid {plan.Grid.Name}: {plan.Runs.Count} runs, {plan.Nodes.Count} nodes");
            foreach (var node in plan.Nodes) output.WriteLine($"  {node.Kind.Name(),-14} {node.Id}  {node.Label}");
            return CliApp.ExitOk;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Grid {plan.Grid.Name}: {plan.Runs.Count} runs, {plan.Nodes.Count} nodes: {summary.Executed} run ({summary.Resumed} resumed), {summary.Reused} reused, " +
            $"{summary.Failed.Count} failed, {summary.Blocked} not run; {summary.Elapsed.TotalMinutes:F1} min"));
        foreach (var failed in summary.Failed) output.WriteLine($"  failed: {failed.Kind} {failed.Id} ({failed.Label}): {failed.Error}");
        if (report)
        {
            var result = WriteReport(labDir, output, new LabReportOptions { Grid = plan.Grid.Name });
            afterReport?.Invoke(result, summary);
        }
        return summary.Complete ? CliApp.ExitOk : CliApp.ExitUserError;
    }

    /// <summary>Writes report.md and the plots, then prints where, the instrument section and the headline table
    /// (for `lab report` too).</summary>
    public static LabReportResult WriteReport(string labDir, TextWriter output, LabReportOptions options)
    {
        var result = LabReport.Write(labDir, options);
        output.WriteLine($"Report: {result.ReportPath} ({result.Runs} runs, {result.Plots.Count} plots)");
        output.WriteLine();
        output.Write(Instrument.ToMarkdown(result.Instrument));
        output.WriteLine();
        if (PaperFindings.ToMarkdown(result.Findings) is { Length: > 0 } findings)
        {
            output.Write(findings);
            output.WriteLine();
        }
        bool interactive = ProgressReporter.IsInteractive && ReferenceEquals(output, Console.Out);
        output.Write(interactive ? HeadlineTable.ToTerminal(result.Headline) : HeadlineTable.ToMarkdown(result.Headline));
        return result;
    }
}
