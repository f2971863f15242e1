using System.Diagnostics;
using Spectre.Console;

namespace PrefLab.Runtime.Console;

/// <summary>One long piece of work: advance it, and attach a short status (the latest metrics) to it.</summary>
public interface IProgressTask : IDisposable
{
    void Advance(long amount = 1);
    /// <summary>Sets the position outright (a resumed run starts part-way).</summary>
    void SetPosition(long position);
    void SetStatus(string status);
}

/// <summary>
/// Shows progress: a Spectre.Console bar with rate and ETA when output is an interactive terminal, plain
/// periodic lines ("label 120/1000 12% 3.1 step/s ETA 4m35s | status") when it is redirected, nothing when quiet.
/// </summary>
public static class ProgressReporter
{
    /// <summary>Seconds between plain lines when output is not a terminal.</summary>
    public static double PlainIntervalSeconds { get; set; } = 10;

    /// <summary>Off in tests and nested work; the plain and terminal forms go to standard error.</summary>
    public static bool Quiet { get; set; }

    /// <summary>True when a live bar may be drawn: standard error is an interactive terminal.</summary>
    public static bool IsInteractive =>
        !System.Console.IsErrorRedirected && !System.Console.IsOutputRedirected &&
        AnsiConsole.Profile.Capabilities.Interactive;

    public static IProgressTask Start(string label, long total, string unit = "step")
    {
        if (Quiet) return new SilentTask();
        if (IsInteractive) return new TerminalTask(label, total, unit);
        return new PlainTask(label, total, unit, System.Console.Error, PlainIntervalSeconds);
    }

    /// <summary>The redirected-output form, writing to <paramref name="writer"/> at most every
    /// <paramref name="intervalSeconds"/> (and always the first and the last position).</summary>
    public static IProgressTask StartPlain(string label, long total, string unit, TextWriter writer, double intervalSeconds) =>
        new PlainTask(label, total, unit, writer, intervalSeconds);

    sealed class SilentTask : IProgressTask
    {
        public void Advance(long amount = 1) { }
        public void SetPosition(long position) { }
        public void SetStatus(string status) { }
        public void Dispose() { }
    }

    /// <summary>Plain lines, at most one every <c>interval</c> seconds, plus the first and the last.</summary>
    sealed class PlainTask : IProgressTask
    {
        readonly string label, unit;
        readonly long total;
        readonly TextWriter writer;
        readonly double interval;
        readonly Stopwatch clock = Stopwatch.StartNew();
        long position, startPosition;
        bool started;
        double lastPrinted = double.NegativeInfinity;
        long lastPrintedPosition = -1;
        string status = "";
        bool finished;

        public PlainTask(string label, long total, string unit, TextWriter writer, double interval)
        {
            this.label = label; this.total = total; this.unit = unit; this.writer = writer; this.interval = interval;
        }

        public void Advance(long amount = 1)
        {
            started = true;
            position += amount;
            MaybePrint();
        }

        /// <summary>Before any <see cref="Advance"/>, sets where this run starts (a resumed run), so the
        /// rate counts only this run's work.</summary>
        public void SetPosition(long newPosition)
        {
            if (!started) startPosition = newPosition;
            started = true;
            position = newPosition;
            MaybePrint();
        }

        void MaybePrint()
        {
            double now = clock.Elapsed.TotalSeconds;
            if (now - lastPrinted >= interval || position == total) Print(now);
        }

        public void SetStatus(string newStatus) => status = newStatus;

        void Print(double now)
        {
            lastPrinted = now;
            lastPrintedPosition = position;
            writer.WriteLine(ProgressText.Line(label, position - startPosition, position, total, unit, now, status));
            writer.Flush();
        }

        public void Dispose()
        {
            if (finished) return;
            finished = true;
            if (lastPrintedPosition != position) Print(clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>A Spectre.Console live bar, run on a background task so the caller keeps an ordinary loop.</summary>
    sealed class TerminalTask : IProgressTask
    {
        readonly TaskCompletionSource<ProgressTask> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly Task display;
        readonly ProgressTask task;
        readonly string label;

        public TerminalTask(string label, long total, string unit)
        {
            this.label = Markup.Escape(label);
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });
            display = console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                    new PercentageColumn(), new TransferRateLessColumn(unit), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var t = context.AddTask(this.label, maxValue: Math.Max(1, total));
                    ready.SetResult(t);
                    await done.Task;
                    context.Refresh();
                });
            task = ready.Task.GetAwaiter().GetResult();
        }

        public void Advance(long amount = 1) => task.Increment(amount);
        public void SetPosition(long position) => task.Value = position;
        public void SetStatus(string status) => task.Description = label + " [grey]" + Markup.Escape(status) + "[/]";

        public void Dispose()
        {
            done.TrySetResult();
            display.GetAwaiter().GetResult();
        }
    }

    /// <summary>Rate in the caller's unit ("12.3 step/s"), which Spectre's byte-oriented column lacks.</summary>
    sealed class TransferRateLessColumn(string unit) : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            double? speed = task.Speed;
            return new Markup(speed is null ? "" : $"[grey]{ProgressText.Rate(speed.Value, unit)}[/]");
        }
    }
}

/// <summary>The text of a progress line, shared by the plain form and tests.</summary>
public static class ProgressText
{
    public static string Line(string label, long doneThisRun, long position, long total, string unit, double elapsedSeconds, string status)
    {
        double rate = elapsedSeconds > 0 ? doneThisRun / elapsedSeconds : 0;
        string percent = total > 0 ? $" {100.0 * position / total:F0}%" : "";
        string eta = rate > 0 && total > 0 ? " ETA " + Duration((total - position) / rate) : "";
        string tail = string.IsNullOrEmpty(status) ? "" : " | " + status;
        return $"{label} {position}/{total}{percent} {Rate(rate, unit)}{eta}{tail}";
    }

    public static string Rate(double perSecond, string unit) =>
        perSecond >= 100 ? $"{perSecond:F0} {unit}/s" : perSecond >= 1 ? $"{perSecond:F1} {unit}/s" : $"{perSecond:F2} {unit}/s";

    public static string Duration(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds)) return "?";
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:D2}m" :
            span.TotalMinutes >= 1 ? $"{span.Minutes}m{span.Seconds:D2}s" : $"{span.TotalSeconds:F0}s";
    }
}
