using System.Runtime.InteropServices;

namespace PrefLab.Runtime;

/// <summary>Facts about this machine that runs and benchmarks report.</summary>
public sealed record MachineInfo(string CpuModel, int LogicalCores, bool HasAvx512Bf16, string Os, string DotnetVersion)
{
    /// <summary>This machine's facts, read from /proc/cpuinfo once per process (they do not change while it runs;
    /// every parse of <c>--precision auto</c> and every lab node's precision asks).</summary>
    public static MachineInfo Read() => current.Value;

    static readonly Lazy<MachineInfo> current = new(ReadNow);

    static MachineInfo ReadNow()
    {
        string model = "unknown";
        bool bf16 = false;
        if (File.Exists("/proc/cpuinfo"))
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (model == "unknown" && line.StartsWith("model name", StringComparison.Ordinal))
                    model = line[(line.IndexOf(':') + 1)..].Trim();
                else if (line.StartsWith("flags", StringComparison.Ordinal))
                {
                    bf16 = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("avx512_bf16");
                    break;
                }
            }
        }
        return new MachineInfo(model, Environment.ProcessorCount, bf16, RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription);
    }
}
