using System.Diagnostics;
using System.Text.Json.Nodes;
using PrefLab.Models.Checkpoints;
using PrefLab.Tests.Algorithms.Dpo;
using PrefLab.Tests.Cli;
using Xunit;

namespace PrefLab.Tests.Training;

/// <summary>Finds MPICH's launcher; the data-parallel tests run only where it exists.</summary>
public static class Mpirun
{
    public static string? Path { get; } = Environment.GetEnvironmentVariable("PATH")?.Split(System.IO.Path.PathSeparator)
        .Select(dir => System.IO.Path.Combine(dir, "mpirun.mpich")).FirstOrDefault(File.Exists);
}

/// <summary>A fact that is skipped, saying why, when mpirun.mpich is not installed (.ci/run installs it).</summary>
public sealed class MpirunFactAttribute : FactAttribute
{
    public MpirunFactAttribute()
    {
        if (Mpirun.Path is null) Skip = "mpirun.mpich is not on PATH: install MPICH (apt-get install mpich) to run the data-parallel tests";
    }
}

/// <summary>
/// `mpirun.mpich -np 2 preflab CMD --batch-size B` against one process with `--batch-size B --grad-accum 2`, on the built
/// CLI (this test folder's PrefLab.Cli) and a tiny World-tokenizer model: the same losses and weights, to fp32 reduction
/// tolerance, for SFT, RM and DPO; rank 0 alone writes the run folder. Negative control: one process without the
/// accumulation logs different losses.
/// </summary>
public class MpirunEquivalenceTests
{
    internal const double Tolerance = 1e-5;

    internal static string Cli => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "PrefLab.Cli.exe" : "PrefLab.Cli");

    static Process Start(string program, IEnumerable<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        // This test process may itself have been started with MPI variables; the children must see only their own.
        foreach (string name in new[] { "PMI_RANK", "PMI_SIZE", "PMI_FD", "MPI_LOCALRANKID", "MPI_LOCALNRANKS" }) start.Environment.Remove(name);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
    }

    internal static (int Exit, string Output) Launch(string program, IEnumerable<string> args, string workingDirectory)
    {
        using var process = Start(program, args, workingDirectory);
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }

    static string[] Train(string command, string model, string data, string output, int gradAccum, string? refCache) =>
    [
        .. command.Split(' '), "--model", model, "--data", data, "--output", output, "--max-steps", "3", "--batch-size", "2",
        "--grad-accum", gradAccum.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-length", "48", "--lr", "1e-3",
        "--seed", "4", "--threads", "1", .. refCache is null ? Array.Empty<string>() : ["--ref-cache", refCache],
    ];

    internal static List<JsonObject> Metrics(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    internal static Dictionary<string, float[]> Weights(string run)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(run, "model.safetensors"));
        return file.Tensors.Keys.ToDictionary(name => name, name =>
        {
            using var tensor = file.Read(name);
            return tensor.to_type(TorchSharp.torch.ScalarType.Float32).data<float>().ToArray();
        });
    }

    internal static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance * (1 + Math.Abs(expected)), $"{what}: one process {expected}, two ranks {actual}");

    /// <summary>The run in <paramref name="run"/> logged the same metrics (timings aside) and saved the same weights as the
    /// uninterrupted one, to <see cref="Tolerance"/>.</summary>
    static void AssertSameRun(List<JsonObject> uninterrupted, Dictionary<string, float[]> weights, string run, string what)
    {
        var again = Metrics(run);
        Assert.Equal(uninterrupted.Count, again.Count);
        for (int i = 0; i < again.Count; i++)
            foreach (var (metric, value) in uninterrupted[i])
                if (metric is not ("tokens_per_sec" or "elapsed_sec"))
                    AssertClose(value!.GetValue<double>(), again[i][metric]!.GetValue<double>(), $"{what} step {i + 1} {metric}");
        foreach (var (tensor, values) in Weights(run))
            for (int j = 0; j < values.Length; j++)
                AssertClose(weights[tensor][j], values[j], $"{what} {tensor}[{j}]");
    }

    [MpirunFact]
    public void Two_ranks_train_as_one_process_with_twofold_accumulation_for_sft_rm_and_dpo()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("init"), seed: 2);
        string pairs = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 13); // 13: the last step of an epoch is short
        string sft = dir.File("sft.jsonl");
        File.WriteAllLines(sft, File.ReadAllLines(pairs).Select(line =>
        {
            var row = JsonNode.Parse(line)!;
            return new JsonObject
            {
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "user", ["content"] = row["prompt"]!.GetValue<string>() },
                    new JsonObject { ["role"] = "assistant", ["content"] = row["chosen"]!.GetValue<string>() }),
            }.ToJsonString();
        }));

        // LoRA with dropout: the masks are seeded per (step, micro-batch), so they too are one process's.
        foreach (var (command, data) in new[] { ("sft", sft), ("rm train", pairs), ("dpo", pairs), ("sft --lora-r 4 --lora-dropout 0.5", sft) })
        {
            string name = command.Replace(' ', '-');
            // DPO: each computes its reference log-probs into its own cache (the two ranks each take half the batches).
            string? cacheTwo = command == "dpo" ? dir.File("ref-cache-two") : null, cacheOne = command == "dpo" ? dir.File("ref-cache-one") : null;
            string two = dir.File(name + "-two"), one = dir.File(name + "-one");
            var ranks = Launch(Mpirun.Path!, ["-np", "2", Cli, .. Train(command, model, data, two, 1, cacheTwo)], dir.Path);
            Assert.True(ranks.Exit == 0, $"{command} under mpirun: {ranks.Output}");
            var single = Launch(Cli, Train(command, model, data, one, 2, cacheOne), dir.Path);
            Assert.True(single.Exit == 0, $"{command} on one process: {single.Output}");
            if (command == "dpo")
            {
                var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(two, "run.json")))!["reference"]!["train"]!;
                Assert.Equal("computed", reference["source"]!.GetValue<string>());
                Assert.Equal(2, reference["ranks"]!.GetValue<int>());
                // The shared-out pass wrote the file one process writes, byte for byte (same key, same values).
                var files = Directory.GetFiles(cacheOne!).Select(f => Path.GetFileName(f)).Order().ToList();
                Assert.Equal(files, Directory.GetFiles(cacheTwo!).Select(f => Path.GetFileName(f)).Order().ToList());
                foreach (string file in files)
                    Assert.True(File.ReadAllBytes(Path.Combine(cacheOne!, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(cacheTwo!, file))), file);
            }

            // Rank 0 spoke for the job: one summary line, one run folder with a line per step.
            Assert.Single(ranks.Output.Split('\n'), l => l.Contains(" steps; model saved to"));
            var (a, b) = (Metrics(one), Metrics(two));
            Assert.Equal(3, b.Count);
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++)
                foreach (var (metric, value) in a[i])
                    if (metric is not ("tokens_per_sec" or "elapsed_sec"))
                        AssertClose(value!.GetValue<double>(), b[i][metric]!.GetValue<double>(), $"{command} step {i + 1} {metric}");
            Assert.Equal("completed", JsonNode.Parse(File.ReadAllText(Path.Combine(two, "run.json")))!["status"]!.GetValue<string>());

            var (wa, wb) = (Weights(one), Weights(two));
            Assert.Equal(wa.Keys.Order(), wb.Keys.Order());
            foreach (var (tensor, values) in wa)
                for (int j = 0; j < values.Length; j++)
                    AssertClose(values[j], wb[tensor][j], $"{command} {tensor}[{j}]");
        }

        // Negative control: without the accumulation one process sees half the batch, and the losses differ.
        var plain = Launch(Cli, Train("sft", model, sft, dir.File("sft-plain"), 1, null), dir.Path);
        Assert.True(plain.Exit == 0, plain.Output);
        var (control, ranked) = (Metrics(dir.File("sft-plain")), Metrics(dir.File("sft-two")));
        Assert.Contains(Enumerable.Range(0, 3), i => Math.Abs(control[i]["loss"]!.GetValue<double>() - ranked[i]["loss"]!.GetValue<double>()) > 1e-4);
    }

    [MpirunFact]
    public void Two_ranks_resumed_from_a_checkpoint_end_as_the_uninterrupted_run()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("init"), seed: 2);
        string pairs = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 12);
        string run = dir.File("run");
        string[] args = [.. Train("rm train", model, pairs, run, 1, null).Select(a => a == "3" ? "4" : a), "--save-every", "2", "--keep-checkpoints", "3"];
        var full = Launch(Mpirun.Path!, ["-np", "2", Cli, .. args], dir.Path);
        Assert.True(full.Exit == 0, full.Output);
        var uninterrupted = Metrics(run);
        var weights = Weights(run);
        Assert.Equal(4, uninterrupted.Count);

        // As if killed after step 3: the step-4 checkpoint never happened, the final model was not written yet.
        Directory.Delete(Path.Combine(run, "checkpoints", "step-4"), recursive: true);
        File.Delete(Path.Combine(run, "model.safetensors"));
        var resumed = Launch(Mpirun.Path!, ["-np", "2", Cli, .. args, "--resume"], dir.Path);
        Assert.True(resumed.Exit == 0, resumed.Output);
        AssertSameRun(uninterrupted, weights, run, "resumed");
    }

    [MpirunFact]
    public void A_two_rank_run_killed_with_SIGKILL_resumes_to_the_uninterrupted_runs_losses_and_weights()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("init"), seed: 2);
        string pairs = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 12);
        string[] Args(string run) => [.. Train("rm train", model, pairs, run, 1, null).Select(a => a == "3" ? "120" : a), "--save-every", "2", "--keep-checkpoints", "2"];
        var full = Launch(Mpirun.Path!, ["-np", "2", Cli, .. Args(dir.File("full"))], dir.Path);
        Assert.True(full.Exit == 0, full.Output);

        // The same run, killed (SIGKILL to mpirun, its proxy and both ranks) once a checkpoint past step 4 exists.
        string killed = dir.File("killed");
        using (var process = Start(Mpirun.Path!, ["-np", "2", Cli, .. Args(killed)], dir.Path))
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            string checkpoints = Path.Combine(killed, "checkpoints");
            while (!(Directory.Exists(checkpoints) && Directory.EnumerateDirectories(checkpoints, "step-*").Any(d => int.Parse(Path.GetFileName(d)[5..]) > 4)))
            {
                Assert.False(process.HasExited, "the run ended before it could be killed");
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "no checkpoint past step 4 within 2 minutes");
                Thread.Sleep(5);
            }
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(killed, "model.safetensors")), "the killed run had already finished");
        // The killed run's first line: a resume from its checkpoint keeps it (its wall-clock stamp included); a run
        // that started over would write it again.
        string firstLine = File.ReadLines(Path.Combine(killed, "metrics.jsonl")).First();
        var resumed = Launch(Mpirun.Path!, ["-np", "2", Cli, .. Args(killed), "--resume"], dir.Path);
        Assert.True(resumed.Exit == 0, resumed.Output);
        Assert.Equal(firstLine, File.ReadLines(Path.Combine(killed, "metrics.jsonl")).First());
        var parallel = JsonNode.Parse(File.ReadAllText(Path.Combine(killed, "run.json")))!["data_parallel"]!;
        Assert.Equal(2, parallel["ranks"]!.GetValue<int>());

        AssertSameRun(Metrics(dir.File("full")), Weights(dir.File("full")), killed, "killed and resumed");
    }

    [MpirunFact]
    public void Ranks_given_different_options_stop_with_the_rank_named_and_commands_without_data_parallelism_are_refused()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("init"), seed: 2);
        string pairs = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 6);
        string[] rank0 = Train("rm train", model, pairs, dir.File("out"), 1, null);
        string[] rank1 = [.. rank0.Select(a => a == "1e-3" ? "2e-3" : a)];
        var mismatched = Launch(Mpirun.Path!, ["-np", "1", Cli, .. rank0, ":", "-np", "1", Cli, .. rank1], dir.Path);
        Assert.NotEqual(0, mismatched.Exit);
        Assert.Contains("rank 1 of 2 was started with different options than rank 0", mismatched.Output);
        Assert.False(File.Exists(Path.Combine(dir.File("out"), "model.safetensors")));

        var info = Launch(Mpirun.Path!, ["-np", "2", Cli, "info", "--trials", "1"], dir.Path);
        Assert.NotEqual(0, info.Exit);
        Assert.Contains("'info' does not run under mpirun", info.Output);
    }
}
