namespace PrefLab.Statistics;

/// <summary>
/// A point estimate with its confidence interval: <see cref="Mean"/> is the statistic on the data as observed,
/// <see cref="Lower"/> and <see cref="Upper"/> the interval's ends, <see cref="N"/> the number of items behind it.
/// </summary>
public readonly record struct Estimate(double Mean, double Lower, double Upper, int N)
{
    /// <summary>Upper minus lower.</summary>
    public double Width => Upper - Lower;

    /// <summary>True when the interval holds <paramref name="value"/> (ends included).</summary>
    public bool Contains(double value) => value >= Lower && value <= Upper;

    public override string ToString() =>
        FormattableString.Invariant($"{Mean:0.####} [{Lower:0.####}, {Upper:0.####}] (n={N})");
}
