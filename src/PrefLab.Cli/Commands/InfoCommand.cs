using System.CommandLine;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Training;
using TorchSharp;

namespace PrefLab.Cli.Commands;

/// <summary><c>preflab info</c>: versions, threads, CPU, and this machine's measured matmul peak (the MFU denominator).</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object." };
        var trials = new Option<int>("--trials")
        {
            Description = "Timed matmul trials per dtype; the peak is their best.",
            DefaultValueFactory = _ => 7,
            HelpName = "N",
        };
        trials.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !(int.TryParse(r.Tokens[^1].Value, out int n) && n >= 1))
                r.AddError($"option --trials: must be a positive whole number, not '{r.Tokens[^1].Value}'");
        });
        var command = new Command("info", "Print versions, threads, CPU features and the measured fp32/bf16 matmul rate of this machine.")
        {
            json, trials,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            TorchRuntime.EnsureLoaded();
            var machine = MachineInfo.Read();
            var fp32 = MatmulPeak.Measure(torch.ScalarType.Float32, trials: parse.GetValue(trials));
            var bf16 = MatmulPeak.Measure(torch.ScalarType.BFloat16, trials: parse.GetValue(trials));
            string version = CliApp.Version;
            if (parse.GetValue(json))
            {
                var obj = new JsonObject
                {
                    ["preflab"] = version,
                    ["torchsharp"] = TorchRuntime.TorchSharpVersion,
                    ["libtorch"] = TorchRuntime.LibTorchVersion,
                    ["dotnet"] = machine.DotnetVersion,
                    ["threads"] = TorchRuntime.Threads,
                    ["cpu"] = machine.CpuModel,
                    ["logical_cores"] = machine.LogicalCores,
                    ["avx512_bf16"] = machine.HasAvx512Bf16,
                    ["matmul_size"] = fp32.Size,
                    ["fp32_gflops"] = Math.Round(fp32.BestGflops, 1),
                    ["bf16_gflops"] = Math.Round(bf16.BestGflops, 1),
                    ["fp32_gflops_median"] = Math.Round(fp32.MedianGflops, 1),
                    ["bf16_gflops_median"] = Math.Round(bf16.MedianGflops, 1),
                };
                output.WriteLine(obj.ToJsonString(JsonOptions.Compact));
                return CliApp.ExitOk;
            }
            output.WriteLine($"PrefLab      {version}");
            output.WriteLine($"TorchSharp   {TorchRuntime.TorchSharpVersion} (LibTorch {TorchRuntime.LibTorchVersion})");
            output.WriteLine($".NET         {machine.DotnetVersion}");
            output.WriteLine($"CPU          {machine.CpuModel} ({machine.LogicalCores} logical cores)");
            output.WriteLine($"AVX-512 BF16 {(machine.HasAvx512Bf16 ? "yes" : "no")}");
            output.WriteLine($"Threads      {TorchRuntime.Threads}");
            output.WriteLine($"Matmul fp32  {fp32.BestGflops,7:F1} GFLOP/s peak (median {fp32.MedianGflops:F1}; best of {fp32.Trials} trials, {fp32.Size}x{fp32.Size})");
            output.WriteLine($"Matmul bf16  {bf16.BestGflops,7:F1} GFLOP/s peak (median {bf16.MedianGflops:F1}; best of {bf16.Trials} trials, {bf16.Size}x{bf16.Size}{(machine.HasAvx512Bf16 ? "" : "; no native BF16 on this CPU")})");
            return CliApp.ExitOk;
        });
        return command;
    }
}
