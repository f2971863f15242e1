using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Runtime.Distributed;

namespace PrefLab.Training;

/// <summary>
/// A training command's output folder (DESIGN.md, "Run directory"): <c>run.json</c> rewritten atomically on
/// every status change, <c>metrics.jsonl</c> appended one flushed line per logged step, and
/// <c>checkpoints/</c>. The final model files are written beside them by the trainer.
/// </summary>
public sealed class RunDirectory
{
    public const string RunFile = "run.json";
    public const string MetricsFile = "metrics.jsonl";
    public const string CheckpointsFolder = "checkpoints";

    readonly JsonObject run;

    RunDirectory(string path, JsonObject run, bool writes)
    {
        Path = path;
        this.run = run;
        Writes = writes;
    }

    public string Path { get; }
    /// <summary>False on the ranks other than 0 of an mpirun job: they read the folder (resume) but never write it.</summary>
    public bool Writes { get; }
    public string RunJsonPath => System.IO.Path.Combine(Path, RunFile);
    public string MetricsPath => System.IO.Path.Combine(Path, MetricsFile);
    public string CheckpointsPath => System.IO.Path.Combine(Path, CheckpointsFolder);

    /// <summary>Starts a run in <paramref name="path"/>. A folder that already holds a run is refused unless
    /// <paramref name="resume"/> (then its metrics are kept and the status returns to running).</summary>
    /// <param name="options">The resolved options (command line over config file over defaults).</param>
    /// <remarks>Under mpirun every rank calls it: the ranks first check they were given the same options, and only rank 0 writes.</remarks>
    public static RunDirectory Start(string path, string command, IReadOnlyDictionary<string, object?> options, long seed, bool resume)
    {
        string full = System.IO.Path.GetFullPath(path);
        var group = ProcessGroup.Current;
        group.Agree("options", $"{command}\n{seed}\n{ToJson(options).ToJsonString()}");
        if (!group.IsRoot) return new RunDirectory(full, new JsonObject(), writes: false);
        string runJson = System.IO.Path.Combine(full, RunFile);
        bool exists = File.Exists(runJson);
        if (exists && !resume)
            throw UserError.InOption("output", $"{path} already holds a run ({RunFile}); pass --resume to continue it or choose another folder");
        Directory.CreateDirectory(full);
        var machine = MachineInfo.Read();
        var run = new JsonObject
        {
            ["command"] = command,
            ["status"] = "running",
            ["seed"] = seed,
            ["options"] = ToJson(options),
            ["versions"] = new JsonObject
            {
                ["preflab"] = typeof(RunDirectory).Assembly.GetName().Version?.ToString(3),
                ["torchsharp"] = TorchRuntime.TorchSharpVersion,
                ["dotnet"] = machine.DotnetVersion,
            },
            ["machine"] = new JsonObject
            {
                ["cpu"] = machine.CpuModel,
                ["logical_cores"] = machine.LogicalCores,
                ["os"] = machine.Os,
            },
            ["start_time"] = Now(),
        };
        // Under mpirun: how many processes shared each global batch (a single process records nothing here, as before).
        if (group.IsDistributed) run["data_parallel"] = new JsonObject { ["ranks"] = group.Size, ["ranks_on_rank0_machine"] = group.LocalSize };
        if (exists && resume)
        {
            var previous = JsonNode.Parse(File.ReadAllText(runJson))?.AsObject();
            run["start_time"] = previous?["start_time"]?.DeepClone() ?? Now();
            run["resumed_at"] = Now();
        }
        var directory = new RunDirectory(full, run, writes: true);
        directory.Save();
        return directory;
    }

    /// <summary>Appends one JSON object as a line and flushes it, so a crash loses at most the line being written.</summary>
    public void AppendMetrics(JsonObject line)
    {
        if (!Writes) return;
        using var stream = new FileStream(MetricsPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var writer = new StreamWriter(stream);
        writer.Write(line.ToJsonString(JsonOptions.Compact));
        writer.Write('\n');
        writer.Flush();
        stream.Flush(flushToDisk: false);
    }

    /// <summary>On resume from a checkpoint at <paramref name="step"/> (0 without one): drops metric lines logged
    /// after it, so the resumed run's metrics equal an uninterrupted run's. <see cref="MetricsLogger.RewindTo"/>
    /// calls it, with the TensorBoard events.</summary>
    public void TruncateMetricsAfter(long step)
    {
        if (Writes) StepLines.KeepThrough(MetricsPath, step);
    }

    /// <summary>Records a value in run.json (for example "data": counts of rows read and dropped).</summary>
    public void Set(string key, JsonNode? value)
    {
        run[key] = value;
        Save();
    }

    public void Complete(IReadOnlyDictionary<string, double> finalMetrics)
    {
        run["status"] = "completed";
        run["end_time"] = Now();
        run["final_metrics"] = ToJson(finalMetrics.ToDictionary(p => p.Key, p => (object?)p.Value));
        Save();
    }

    /// <summary>Marks the run failed with <paramref name="message"/>. On a rank other than 0 of an mpirun job, which
    /// holds no run.json of its own, the folder's run.json (rank 0's, when the ranks share the folder) is marked
    /// failed with the rank named: the failing rank ends the job (MPI_Abort) before rank 0 could write it.</summary>
    public void Fail(string message)
    {
        if (!Writes)
        {
            var group = ProcessGroup.Current;
            RecordRankFailure(RunJsonPath, group.Rank, group.Size, message);
            return;
        }
        run["status"] = "failed";
        run["end_time"] = Now();
        run["error"] = message;
        Save();
    }

    /// <summary>
    /// Marks the run.json at <paramref name="runJsonPath"/> failed by <paramref name="rank"/> of <paramref name="size"/>,
    /// when it exists and still says running (rank 0 may have recorded the same failure already, or the ranks may not
    /// share the folder: on another machine there is nothing to mark). Returns whether it wrote. Best effort: it runs
    /// on the way to MPI_Abort, so a folder it cannot read or write leaves the run as rank 0 left it, as a kill would.
    /// </summary>
    public static bool RecordRankFailure(string runJsonPath, int rank, int size, string message)
    {
        try
        {
            if (!File.Exists(runJsonPath)) return false;
            if (JsonNode.Parse(File.ReadAllText(runJsonPath)) is not JsonObject shared) return false;
            if (shared["status"]?.GetValue<string>() != "running") return false;
            shared["status"] = "failed";
            shared["end_time"] = Now();
            shared["error"] = $"rank {rank} of {size}: {message}";
            shared["failed_rank"] = rank;
            AtomicFile.WriteAllText(runJsonPath, shared.ToJsonString(JsonOptions.Indented) + "\n");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    void Save()
    {
        if (Writes) AtomicFile.WriteAllText(RunJsonPath, run.ToJsonString(JsonOptions.Indented) + "\n");
    }

    static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    static JsonObject ToJson(IReadOnlyDictionary<string, object?> values)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.Ordinal))
            obj[key] = JsonValues.From(value);
        return obj;
    }
}
