using System.Globalization;

namespace PrefLab.Bench;

/// <summary>This process's memory from /proc/self (Linux; 0 elsewhere): the resident-set high-water mark
/// (VmHWM: managed heap, native tensors and code) and current size (VmRSS), and resetting the mark so a stage's
/// own peak can be read.</summary>
public static class ProcessMemory
{
    public static double PeakMb => Status("VmHWM");
    public static double ResidentMb => Status("VmRSS");

    /// <summary>Resets VmHWM to the current VmRSS (writing 5 to /proc/self/clear_refs); false where unsupported.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // A /proc/self/status field in MB.
    static double Status(string field)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        foreach (string line in File.ReadLines(path))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }
}
