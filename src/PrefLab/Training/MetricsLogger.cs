using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Runtime.Console;
using TorchSharp.Modules;

namespace PrefLab.Training;

/// <summary>
/// Logs one step's metrics to the run's <c>metrics.jsonl</c>, to the console (a compact line, or the status
/// of the progress bar), and to TensorBoard event files when asked (<c>--tensorboard</c>).
/// Metric names follow DESIGN.md (TRL's). Every trainer calls <see cref="RewindTo"/> before its first step, so a
/// resumed run logs each step once in both files.
/// </summary>
public sealed class MetricsLogger
{
    public const string TensorboardFolder = "tensorboard";

    readonly RunDirectory run;
    readonly bool tensorboardWanted;
    readonly TextWriter? console;
    SummaryWriter? tensorboard;
    IProgressTask? progress;

    /// <param name="console">Where compact lines go when there is no progress bar to carry them (null: nowhere).</param>
    public MetricsLogger(RunDirectory run, bool tensorboard, TextWriter? console)
    {
        this.run = run;
        this.console = console;
        tensorboardWanted = tensorboard;
    }

    string TensorboardPath => Path.Combine(run.Path, TensorboardFolder);

    /// <summary>
    /// Before the first step of a fresh run (<paramref name="step"/> 0) or of a run resumed from the checkpoint at
    /// <paramref name="step"/>: drops what an earlier process logged after it. metrics.jsonl keeps its lines up to the
    /// step; TensorBoard's event files cannot be cut, so they are deleted and rewritten from the kept lines.
    /// </summary>
    public void RewindTo(long step)
    {
        if (!run.Writes) return;
        run.TruncateMetricsAfter(step);
        if (!tensorboardWanted) return;
        if (Directory.Exists(TensorboardPath)) Directory.Delete(TensorboardPath, recursive: true);
        var writer = Tensorboard();
        foreach (var line in JsonlAppender.ReadObjects(run.MetricsPath))
        {
            if (line["step"] is not JsonValue stepValue || !stepValue.TryGetValue(out long logged)) continue;
            foreach (var (name, value) in line)
                if (name is not ("step" or "epoch") && value is JsonValue number && number.TryGetValue(out double x) && double.IsFinite(x))
                    writer.add_scalar(name, (float)x, checked((int)logged));
        }
    }

    SummaryWriter Tensorboard()
    {
        if (tensorboard is null)
        {
            Runtime.TorchRuntime.EnsureLoaded();
            tensorboard = TorchSharp.torch.utils.tensorboard.SummaryWriter(TensorboardPath);
        }
        return tensorboard;
    }

    /// <summary>While a progress bar is shown, the latest metrics become its status instead of console lines.</summary>
    public void AttachProgress(IProgressTask? task) => progress = task;

    public void Log(long step, double epoch, IReadOnlyDictionary<string, double> metrics)
    {
        if (!run.Writes) return;
        var line = new JsonObject { ["step"] = step, ["epoch"] = Math.Round(epoch, 6) };
        foreach (var (name, value) in metrics) line[name] = JsonValues.From(value);
        run.AppendMetrics(line);

        if (tensorboardWanted)
            foreach (var (name, value) in metrics)
                if (double.IsFinite(value)) Tensorboard().add_scalar(name, (float)value, checked((int)step));

        string compact = Compact(step, metrics);
        if (progress is not null) progress.SetStatus(compact);
        else console?.WriteLine(compact);
    }

    /// <summary>"step 10 | loss 1.2345 | lr 1.00e-05 | ..." with a few significant digits per value.</summary>
    public static string Compact(long step, IReadOnlyDictionary<string, double> metrics)
    {
        var text = new StringBuilder("step ").Append(step.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in metrics)
            text.Append(" | ").Append(name).Append(' ').Append(Format(value));
        return text.ToString();
    }

    public static string Format(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        double magnitude = Math.Abs(value);
        if (value == Math.Round(value) && magnitude < 1e7) return value.ToString("F0", CultureInfo.InvariantCulture);
        if (magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.ToString("0.00e+00", CultureInfo.InvariantCulture);
        if (magnitude >= 100) return value.ToString("F0", CultureInfo.InvariantCulture);
        return value.ToString("0.####", CultureInfo.InvariantCulture);
    }
}
