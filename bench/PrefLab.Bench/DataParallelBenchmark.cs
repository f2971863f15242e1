using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Runtime;

namespace PrefLab.Bench;

/// <summary>
/// Data-parallel throughput on one machine: `preflab pretrain` of a random <see cref="Preset"/> on the small World's
/// corpus, one process (all cores, batch 8 x 2 accumulation) against `mpirun.mpich -np 2` (cores shared, batch 8 per
/// rank): the same global batch and data order; also one process on one thread, to tell the thread count's share from
/// the ranks'. tokens/s is the median over steps after the first, best of <see cref="Rounds"/> interleaved rounds (a
/// shared machine's load swings between runs). Needs the built
/// CLI (`dotnet build -c Release`) and MPICH; skipped with a note without mpirun.mpich.
/// </summary>
public sealed class DataParallelBenchmark : IBenchmark
{
    const string Preset = "world-base";
    const int Steps = 8;
    const int Rounds = 2;

    public string Name => "data-parallel";
    public string Description => $"`pretrain` of {Preset}: tokens/s at 1 process and at 2 ranks under mpirun.mpich, same global batch";

    public JsonObject Run(BenchContext context)
    {
        string? mpirun = Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "mpirun.mpich")).FirstOrDefault(File.Exists);
        if (mpirun is null)
        {
            Console.WriteLine("  skipped: mpirun.mpich not on PATH (apt-get install mpich)");
            return new JsonObject { ["skipped"] = "mpirun.mpich not on PATH" };
        }
        string cli = FindCli();
        var workspace = BenchWorkspace.Create("dp");
        string root = workspace.Root, world = workspace.World;
        try
        {
            string model = workspace.RandomModel(Preset);
            string data = Path.Combine(world, "pretrain.jsonl");
            string[] Args(string output, int gradAccum, int threads) =>
            [
                "pretrain", "--model", model, "--data", data, "--output", output, "--max-steps", Steps.ToString(CultureInfo.InvariantCulture),
                "--batch-size", "8", "--grad-accum", gradAccum.ToString(CultureInfo.InvariantCulture), "--max-length", "128",
                "--threads", threads.ToString(CultureInfo.InvariantCulture), "--seed", "1",
            ];
            int cores = Environment.ProcessorCount;
            int perRank = Math.Max(1, cores / 2);
            double one = 0, oneThread = 0, two = 0;
            for (int round = 0; round < Rounds; round++)
            {
                string Out(string name) => Path.Combine(root, $"{name}-{round}");
                one = Math.Max(one, Measure(cli, Args(Out("one"), 2, cores), Out("one")));
                two = Math.Max(two, Measure(mpirun, ["-np", "2", cli, .. Args(Out("two"), 1, perRank)], Out("two")));
                oneThread = Math.Max(oneThread, Measure(cli, Args(Out("one-thread"), 2, 1), Out("one-thread")));
            }
            Console.WriteLine($"  1 process x {cores} threads: {one:F0} tokens/s; 1 process x 1 thread: {oneThread:F0}; " +
                $"2 ranks x {perRank} threads: {two:F0} tokens/s (x{two / one:F2} over 1 process)");
            return new JsonObject
            {
                ["preset"] = Preset,
                ["steps"] = Steps,
                ["rounds"] = Rounds,
                ["global_batch"] = 16,
                ["max_length"] = 128,
                ["threads_one_process"] = cores,
                ["threads_per_rank"] = perRank,
                ["figures"] = new JsonObject
                {
                    [$"tokens_per_sec.pretrain_1rank.{Preset}"] = one,
                    [$"tokens_per_sec.pretrain_2ranks.{Preset}"] = two,
                    [$"tokens_per_sec.pretrain_1rank_1thread.{Preset}"] = oneThread,
                    [$"data_parallel_speedup.pretrain_2ranks.{Preset}"] = two / one,
                },
            };
        }
        finally
        {
            workspace.Dispose();
        }
    }

    /// <summary>Runs the command and returns the median tokens/s of metrics.jsonl after the first step.</summary>
    static double Measure(string program, string[] args, string output)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var error = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {text}{error.Result}");
        var rates = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Skip(1)
            .Select(l => JsonNode.Parse(l)!["tokens_per_sec"]!.GetValue<double>()).Order().ToList();
        return rates[rates.Count / 2];
    }

    /// <summary>The built `preflab` of this repository (src/PrefLab.Cli/bin/CONFIG/TFM/), found from this benchmark's folder.</summary>
    static string FindCli()
    {
        string here = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        string tfm = Path.GetFileName(here), configuration = Path.GetFileName(Path.GetDirectoryName(here)!);
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            string cli = Path.Combine(dir.FullName, "src", "PrefLab.Cli", "bin", configuration, tfm, OperatingSystem.IsWindows() ? "preflab.exe" : "preflab");
            if (File.Exists(cli)) return cli;
        }
        throw new UserError($"the preflab CLI is not built ({configuration}/{tfm}): run dotnet build -c {configuration} first");
    }
}
