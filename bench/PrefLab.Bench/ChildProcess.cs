using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Bench;

/// <summary>
/// Runs one measurement in a fresh process of this benchmark executable (so its memory high-water mark is its own):
/// the child flag, the arguments, and the parent's LibTorch thread count last; the child prints its figures as its
/// last line of JSON.
/// </summary>
public static class ChildProcess
{
    /// <param name="what">Names the child in errors (a mode or stage).</param>
    /// <param name="environment">Variables set (a value) or removed (null) for the child.</param>
    public static JsonObject Run(string flag, IEnumerable<string> arguments, string what, IReadOnlyDictionary<string, string?>? environment = null)
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(process) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        if (Path.GetFileNameWithoutExtension(process) == "dotnet") start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        start.ArgumentList.Add(flag);
        foreach (string arg in arguments) start.ArgumentList.Add(arg);
        start.ArgumentList.Add(TorchRuntime.Threads.ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the benchmark child");
        string text = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"the {what} child exited with {child.ExitCode}: {text}");
        return JsonNode.Parse(text.Trim().Split('\n')[^1])!.AsObject();
    }
}
