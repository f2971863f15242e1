
namespace PrefLab.Training.Commands;

/// <summary>The lines a trainer prints when it finishes: where the model is and its final metrics.</summary>
public static class TrainingSummary
{
    public static void Print(TextWriter output, string command, string folder, TrainingResult result)
    {
        output.WriteLine($"{command}: {result.Steps} steps; model saved to {Path.GetFullPath(folder)}");
        var shown = result.FinalMetrics.Where(p => p.Key is not ("tokens_per_sec" or "elapsed_sec" or "lr")).ToList();
        if (shown.Count > 0)
            output.WriteLine("final: " + string.Join(", ", shown.Select(p => $"{p.Key} {MetricsLogger.Format(p.Value)}")));
        if (result.FinalMetrics.TryGetValue("elapsed_sec", out double elapsed))
            output.WriteLine($"time: {elapsed:F1} s");
    }
}
