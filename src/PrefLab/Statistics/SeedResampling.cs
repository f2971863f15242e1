namespace PrefLab.Statistics;

/// <summary>How runs from several training seeds enter a bootstrap replicate.</summary>
public enum SeedResampling
{
    /// <summary>Each replicate also draws the seeds with replacement, so seed-to-seed variance widens the interval.</summary>
    Resample,

    /// <summary>Every replicate keeps all seeds: the interval reflects item sampling only.</summary>
    Fixed,
}
