using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Training;
using Xunit;

namespace PrefLab.Tests.Training;

public class RunDirectoryTests
{
    static readonly Dictionary<string, object?> Options = new() { ["lr"] = 1e-5, ["batch-size"] = 8, ["data"] = "x.jsonl" };

    [Fact]
    public void Run_json_records_options_versions_status_and_final_metrics()
    {
        using var dir = new TempDir();
        var run = RunDirectory.Start(dir.File("out"), "sft", Options, seed: 3, resume: false);
        var started = JsonNode.Parse(File.ReadAllText(run.RunJsonPath))!;
        Assert.Equal("running", started["status"]!.GetValue<string>());
        Assert.Equal(1e-5, started["options"]!["lr"]!.GetValue<double>());
        Assert.Equal(3, started["seed"]!.GetValue<long>());
        Assert.Equal(TorchRuntime.TorchSharpVersion, started["versions"]!["torchsharp"]!.GetValue<string>());

        run.Complete(new Dictionary<string, double> { ["loss"] = 0.5, ["bad"] = double.NaN });
        var done = JsonNode.Parse(File.ReadAllText(run.RunJsonPath))!;
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(0.5, done["final_metrics"]!["loss"]!.GetValue<double>());
        Assert.Null(done["final_metrics"]!["bad"]);
        Assert.NotNull(done["end_time"]);
    }

    [Fact]
    public void A_failure_on_another_rank_marks_the_shared_run_failed_with_the_rank_named_once()
    {
        using var dir = new TempDir();
        var run = RunDirectory.Start(dir.File("out"), "sft", Options, seed: 3, resume: false);
        Assert.True(RunDirectory.RecordRankFailure(run.RunJsonPath, rank: 1, size: 2, "out of memory"));
        var failed = JsonNode.Parse(File.ReadAllText(run.RunJsonPath))!;
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal("rank 1 of 2: out of memory", failed["error"]!.GetValue<string>());
        Assert.Equal(1, failed["failed_rank"]!.GetValue<int>());
        Assert.Equal(1e-5, failed["options"]!["lr"]!.GetValue<double>()); // rank 0's record is kept, only the outcome changes
        Assert.NotNull(failed["end_time"]);

        // A run no longer running (rank 0 recorded the failure first) is left alone; so is a folder without a run.
        Assert.False(RunDirectory.RecordRankFailure(run.RunJsonPath, rank: 2, size: 3, "later"));
        Assert.Equal("rank 1 of 2: out of memory", JsonNode.Parse(File.ReadAllText(run.RunJsonPath))!["error"]!.GetValue<string>());
        Assert.False(RunDirectory.RecordRankFailure(dir.File("elsewhere/run.json"), rank: 1, size: 2, "x"));
        Assert.False(Directory.Exists(dir.File("elsewhere")));
        Assert.DoesNotContain(Directory.GetFiles(dir.File("out")), AtomicFile.IsTemporary);
    }

    [Fact]
    public void An_existing_run_is_refused_without_resume_and_kept_with_it()
    {
        using var dir = new TempDir();
        var run = RunDirectory.Start(dir.File("out"), "sft", Options, 1, false);
        var error = Assert.Throws<UserError>(() => RunDirectory.Start(dir.File("out"), "sft", Options, 1, false));
        Assert.Contains("--output", error.Message);
        Assert.Contains("--resume", error.Message);
        var resumed = RunDirectory.Start(dir.File("out"), "sft", Options, 1, true);
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(resumed.RunJsonPath))!["resumed_at"]);
    }

    [Fact]
    public void Metrics_are_one_line_per_step_and_truncate_after_a_checkpoint()
    {
        using var dir = new TempDir();
        var run = RunDirectory.Start(dir.File("out"), "sft", Options, 1, false);
        var logger = new MetricsLogger(run, tensorboard: false, console: null);
        for (int step = 1; step <= 5; step++)
            logger.Log(step, step / 10.0, new Dictionary<string, double> { ["loss"] = 1.0 / step, ["lr"] = 1e-4 });
        var lines = File.ReadAllLines(run.MetricsPath);
        Assert.Equal(5, lines.Length);
        var first = JsonNode.Parse(lines[0])!;
        Assert.Equal(1, first["step"]!.GetValue<long>());
        Assert.Equal(0.1, first["epoch"]!.GetValue<double>());
        Assert.Equal(1.0, first["loss"]!.GetValue<double>());

        run.TruncateMetricsAfter(3);
        Assert.Equal(3, File.ReadAllLines(run.MetricsPath).Length);
    }

    [Fact]
    public void Compact_console_line_is_readable()
    {
        string line = MetricsLogger.Compact(10, new Dictionary<string, double>
        {
            ["loss"] = 1.23456789, ["lr"] = 1e-5, ["tokens_per_sec"] = 5120, ["grad_norm"] = double.NaN,
        });
        Assert.Equal("step 10 | loss 1.2346 | lr 1.00e-05 | tokens_per_sec 5120 | grad_norm nan", line);
    }

    [Fact]
    public void Tensorboard_event_file_is_written_when_asked()
    {
        using var dir = new TempDir();
        var run = RunDirectory.Start(dir.File("out"), "sft", Options, 1, false);
        var logger = new MetricsLogger(run, tensorboard: true, console: null);
        logger.Log(1, 0, new Dictionary<string, double> { ["loss"] = 2.0 });
        var events = Directory.GetFiles(Path.Combine(run.Path, "tensorboard"), "events.out.tfevents.*", SearchOption.AllDirectories);
        Assert.NotEmpty(events);
        Assert.True(new FileInfo(events[0]).Length > 0);
    }
}
