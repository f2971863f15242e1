using PrefLab.Runtime.Console;
using Xunit;

namespace PrefLab.Tests.Runtime;

public class ProgressTextTests
{
    [Fact]
    public void Plain_line_has_position_percent_rate_eta_and_status()
    {
        string line = ProgressText.Line("sft", doneThisRun: 50, position: 50, total: 200, unit: "step", elapsedSeconds: 10, status: "loss 1.2");
        Assert.Equal("sft 50/200 25% 5.0 step/s ETA 30s | loss 1.2", line);
    }

    [Fact]
    public void Rate_counts_only_this_runs_work_after_a_resume()
    {
        string line = ProgressText.Line("sft", doneThisRun: 10, position: 110, total: 200, unit: "step", elapsedSeconds: 10, status: "");
        Assert.Equal("sft 110/200 55% 1.0 step/s ETA 1m30s", line);
    }

    [Fact]
    public void Durations_read_naturally()
    {
        Assert.Equal("45s", ProgressText.Duration(45));
        Assert.Equal("2m05s", ProgressText.Duration(125));
        Assert.Equal("1h01m", ProgressText.Duration(3660));
        Assert.Equal("?", ProgressText.Duration(double.PositiveInfinity));
    }
}

public class PlainProgressTests
{
    [Fact]
    public void Redirected_output_gets_the_first_and_last_lines_and_periodic_ones_between()
    {
        var sparse = new StringWriter();
        using (var task = ProgressReporter.StartPlain("rm", 100, "step", sparse, intervalSeconds: 3600))
            for (int i = 0; i < 100; i++) task.Advance();
        var lines = sparse.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("rm 1/100 1%", lines[0]);
        Assert.StartsWith("rm 100/100 100%", lines[1]);

        var dense = new StringWriter();
        using (var task = ProgressReporter.StartPlain("rm", 5, "step", dense, intervalSeconds: 0))
        {
            task.SetStatus("loss 0.5");
            for (int i = 0; i < 5; i++) task.Advance();
        }
        var all = dense.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, all.Length);
        Assert.All(all, l => Assert.EndsWith("| loss 0.5", l));
    }
}
