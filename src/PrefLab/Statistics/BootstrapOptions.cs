namespace PrefLab.Statistics;

/// <summary>
/// Settings of a percentile bootstrap: how many resamples, the interval's coverage, and the seed of the
/// resampling stream (same seed and data give the same interval).
/// </summary>
public sealed record BootstrapOptions
{
    public int Resamples { get; init; } = 2000;
    public double Confidence { get; init; } = 0.95;
    public long Seed { get; init; } = 0;

    public static BootstrapOptions Default { get; } = new();

    internal void Validate()
    {
        if (Resamples < 1) throw new ArgumentOutOfRangeException(nameof(Resamples), Resamples, "need at least one resample");
        if (!(Confidence > 0 && Confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(Confidence), Confidence, "confidence must lie strictly between 0 and 1");
    }
}
