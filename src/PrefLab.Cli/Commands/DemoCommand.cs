using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Lab;
using PrefLab.Lab.Report;
using PrefLab.Lab.Store;
using PrefLab.Models;
using PrefLab.Training;
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
        var largeRm = new Option<bool>("--large-reward-model") { Description = "Also train a world-base reward model (5M parameters, its own base and SFT models): the paper's reward-model-size question; 18 more minutes on a 2-core machine whose fp32 peak is about 155 GFLOP/s." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Write the grid and print the planned nodes without running them." };
        var jobs = LabCommand.JobsOption(DefaultJobs);
        var precision = new Option<string>("--precision")
        {
            Description = "The training nodes' matrix products: fp32 (the default: the same table on every machine), bf16 (bfloat16 products: different numbers, and not faster at the demo's shapes even with AVX-512 BF16) or auto (bf16 where native, else fp32).",
            DefaultValueFactory = _ => DefaultPrecision,
            HelpName = "fp32|bf16|auto",
        };
        var command = new Command("demo", "Run the paper's four-component study (data, algorithm, reward model, prompts) on a Preference World and report the effects with 95% intervals.")
        {
            output, quick, largeRm, dryRun, jobs, precision,
        };
        command.SetAction(parse =>
        {
            string folder = Path.GetFullPath(parse.GetValue(output)!);
            bool isQuick = parse.GetValue(quick);
            Directory.CreateDirectory(folder);
            string grid = Path.Combine(folder, isQuick ? "demo-quick.yaml" : "demo.yaml");
            bool withLargeRm = parse.GetValue(largeRm);
            if (isQuick && withLargeRm) throw UserError.InOption("large-reward-model", "does not apply with --quick");
            bool nativeBf16 = MachineInfo.Read().HasAvx512Bf16;
            var linear = Models.Layers.ComputePrecision.ParsePrecision(parse.GetValue(precision)!, nativeBf16);
            AtomicFile.WriteAllText(grid, DemoGrid.Text(isQuick, withLargeRm, linear));
            var writer = parse.InvocationConfiguration.Output;
            writer.WriteLine($"Demo grid: {grid}");
            writer.WriteLine($"Precision: {Models.Layers.ComputePrecision.Name(linear)} matrix products in training" +
                (nativeBf16 ? " (this CPU has AVX-512 BF16)" : " (this CPU has no AVX-512 BF16" + (linear == Models.Layers.LinearPrecision.Bf16 ? ": emulated, very slow)" : ")")));
            var clock = Stopwatch.StartNew();
            return LabSession.Run(grid, folder, writer, planOnly: parse.GetValue(dryRun), jobs: parse.GetValue(jobs),
                afterReport: (report, summary) => WriteInstrument(folder, report, clock.Elapsed.TotalSeconds, summary.ModelFlops, writer, parse.GetValue(jobs), linear));
        });
        return command;
    }

    public const string InstrumentFile = "instrument.json";

    /// <summary>fp32, not auto: the demo's table is then the same on every machine, and bf16 was neither faster at the
    /// demo's shapes (its first 32 nodes took 17.1 min of node time against 15.2) nor a sharper instrument. Measured on the demo (2026-12-07, bf16 against fp32, same grid): SFT 0.611 against 0.609, but the
    /// clean-minus-noisy RM difference +0.011 [-0.016, +0.036] against +0.055 [+0.026, +0.084], PPO with the gold
    /// reward +0.023 against +0.039, DPO on the clean pairs -0.004 against +0.018 (the bf16 base model is another draw,
    /// so every later stage differs).</summary>
    const string DefaultPrecision = "fp32";

    /// <summary>One node at a time: on 2 cores, two 1-thread jobs were slower overall than one 2-thread job (measured on
    /// the demo, 2026-12-07: 18 nodes done after 10 minutes against 23). Two concurrent PPO runs alone did gain (63.6 s a
    /// run with 2 threads; two 1-thread runs in 93 s), but reward-model and DPO training at 1 thread took about twice
    /// as long, and each child process's start cost about 3 s of a 1.4-second evaluation.</summary>
    const int DefaultJobs = 1;

    /// <summary>
    /// instrument.json: the report's instrument figures, with the cost of the run against this machine's limit —
    /// wall_seconds (this invocation; a resumed or reused demo takes less), node_seconds (every node's own time,
    /// whenever it ran) and fp32_gflops (the measured matmul peak, as `preflab info` measures it); utilisation: the
    /// report's per-stage model FLOPs utilisation and this invocation's (its nodes' model FLOPs over its wall time).
    /// </summary>
    /// <param name="precision">The training nodes' precision, as the demo's grid set it.</param>
    static void WriteInstrument(string folder, LabReportResult report, double wallSeconds, double flopsThisRun, TextWriter output, int jobs,
        Models.Layers.LinearPrecision precision)
    {
        double nodeSeconds;
        using (var store = new LabFolder(folder).OpenStoreForReading())
            nodeSeconds = store.GridNodes(report.GridName).Where(n => n.Status == NodeStatus.Done).Sum(n => n.Seconds ?? 0);
        // The peak the lab measured after its nodes ran (the denominator of the report's utilisation), else now.
        var utilisation = report.Utilisation;
        double peak = utilisation.PeakGflops ?? MatmulPeak.Measure(TorchSharp.torch.ScalarType.Float32, trials: 3).BestGflops;
        // A run of bf16 nodes is stated against the peak its nodes could reach (node-time-weighted fp32 and bf16 peaks).
        double runPeak = utilisation.EffectivePeakGflops ?? peak;
        var json = new JsonObject
        {
            ["wall_seconds"] = Math.Round(wallSeconds, 1),
            ["node_seconds"] = Math.Round(nodeSeconds, 1),
            ["fp32_gflops"] = Math.Round(peak, 1),
            ["bf16_gflops"] = utilisation.Bf16PeakGflops is double b ? Math.Round(b, 1) : null,
            ["precision"] = Models.Layers.ComputePrecision.Name(precision),
            ["threads"] = TorchSharp.torch.get_num_threads(),
            // Nodes run at once; each of the fan-out's nodes had max(1, threads / jobs) threads.
            ["jobs"] = jobs,
        };
        foreach (var (key, value) in report.Instrument.ToJson()) json[key] = value?.DeepClone();
        json["findings"] = PaperFindings.ToJson(report.Findings);
        // Whole run: the model FLOPs of the nodes this invocation ran over its wall time (setup, report and plots included).
        var cost = utilisation.ToJson();
        cost["fp32_peak_gflops"] = Math.Round(peak, 1);
        cost["run"] = new JsonObject
        {
            ["wall_seconds"] = Math.Round(wallSeconds, 1),
            ["model_gflop"] = Math.Round(flopsThisRun / 1e9, 1),
            ["mfu"] = wallSeconds > 0 ? Math.Round(flopsThisRun / (wallSeconds * runPeak * 1e9), 4) : null,
            ["peak_gflops"] = Math.Round(runPeak, 1),
        };
        json["utilisation"] = cost;
        string path = Path.Combine(folder, InstrumentFile);
        AtomicFile.WriteAllText(path, json.ToJsonString(JsonOptions.Indented) + "\n");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Instrument: {path} (wall {wallSeconds / 60:F1} min this run, {nodeSeconds / 60:F1} min of node time; fp32 matmul peak {peak:F0} GFLOP/s{(utilisation.Bf16PeakGflops is double bf ? $", bf16 {bf:F0}" : "")}; model FLOPs utilisation over the wall time {(wallSeconds > 0 ? flopsThisRun / (wallSeconds * runPeak * 1e9) : 0):P1}{(utilisation.Bf16PeakGflops is null ? "" : $" of the nodes' peak, {runPeak:F0} GFLOP/s")})"));
    }
}
