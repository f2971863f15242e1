using PrefLab.Lab.Execution;
using PrefLab.Tests.Cli;
using Xunit;

namespace PrefLab.Tests.Lab;

public class LabCliTests
{
    [Fact]
    public void Lab_report_writes_the_report_and_prints_where_and_the_headline()
    {
        using var dir = new TempDir();
        LabRunner.Run(LabGrids.Write(dir, LabGrids.DpoOnly.Replace("  good: world:good", "  good: world:good\n  noisy: world:noisy")),
            dir.File("lab"), new FakeExecutor(), LabGrids.Quiet());
        var (exit, output, error) = CliAppTests.Run("lab", "report", dir.File("lab"), "--resamples", "200", "--baseline", "data=noisy");
        Assert.Equal("", error);
        Assert.Equal(0, exit);
        Assert.StartsWith($"Report: {dir.File("lab/report.md")} (4 runs, 2 plots)", output);
        Assert.Contains("| algorithm | noisy | good |", output); // the baseline first
        string report = File.ReadAllText(dir.File("lab/report.md"));
        Assert.Contains("(200 resamples, seed 0)", report);
        Assert.Contains("| noisy (baseline) |", report);
        Assert.True(File.Exists(dir.File("lab/plots/datasets.png")));

        var noPlots = CliAppTests.Run("lab", "report", dir.File("lab"), "--resamples", "200", "--no-plots");
        Assert.Equal(0, noPlots.Exit);
        Assert.Contains("(4 runs, 0 plots)", noPlots.Out);
    }

    [Fact]
    public void Lab_report_errors_are_one_line_naming_the_folder_or_option()
    {
        using var dir = new TempDir();
        var missing = CliAppTests.Run("lab", "report", dir.File("nothing"));
        Assert.Equal(2, missing.Exit);
        Assert.Equal($"preflab: error: lab folder not found: {dir.File("nothing")}", missing.Err.Trim());

        var notLab = CliAppTests.Run("lab", "report", dir.Path);
        Assert.Equal(2, notLab.Exit);
        Assert.Contains("has no results.sqlite: not a lab folder", notLab.Err);

        var badBaseline = CliAppTests.Run("lab", "report", dir.Path, "--baseline", "data");
        Assert.Equal(2, badBaseline.Exit);
        Assert.Contains("option --baseline: 'data' is not FACTOR=LEVEL", badBaseline.Err);

        var fewResamples = CliAppTests.Run("lab", "report", dir.Path, "--resamples", "5");
        Assert.Equal(2, fewResamples.Exit);
        Assert.Contains("--resamples", fewResamples.Err);
    }

    [Fact]
    public void Lab_offers_run_and_report()
    {
        var help = CliAppTests.Run("lab", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("report", help.Out);
        Assert.Contains("run", help.Out);
        var missing = CliAppTests.Run("lab", "run", "no-such-grid.yaml", "--output", "x");
        Assert.Equal(2, missing.Exit);
        Assert.Contains("no-such-grid.yaml", missing.Err);
    }
}
