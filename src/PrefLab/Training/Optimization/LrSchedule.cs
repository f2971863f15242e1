namespace PrefLab.Training.Optimization;

/// <summary>
/// Learning rate as a function of the number of optimizer steps already taken, as Hugging Face's schedulers
/// compute it (get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup, constant with warmup):
/// warm up linearly from 0 over <c>warmupSteps</c>, then decay to <c>peak × minRatio</c> at <c>totalSteps</c>.
/// As in HF, the first step of a warm-up has learning rate 0.
/// </summary>
public sealed record LrSchedule(LrScheduleKind Kind, double Peak, long TotalSteps, long WarmupSteps, double MinRatio = 0)
{
    /// <summary>Warm-up steps as HF's Trainer rounds them: ceil(ratio × total).</summary>
    public static LrSchedule FromRatio(LrScheduleKind kind, double peak, long totalSteps, double warmupRatio, double minRatio = 0) =>
        new(kind, peak, totalSteps, (long)Math.Ceiling(warmupRatio * totalSteps), minRatio);

    public double At(long step)
    {
        if (step < WarmupSteps) return Peak * step / Math.Max(1, WarmupSteps);
        double floor = Peak * MinRatio;
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        progress = Math.Clamp(progress, 0, 1);
        return Kind switch
        {
            LrScheduleKind.Constant => Peak,
            LrScheduleKind.Linear => floor + (Peak - floor) * (1 - progress),
            LrScheduleKind.Cosine => floor + (Peak - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
        };
    }
}
