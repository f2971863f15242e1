namespace PrefLab.Evaluation.Scorers;

/// <summary>How the length difference enters the length-controlled win-rate regression.</summary>
public enum LengthFeature
{
    /// <summary>tanh(difference / sd of differences): AlpacaEval-LC's bounded feature.</summary>
    Tanh,

    /// <summary>difference / sd of differences.</summary>
    Linear,
}

/// <summary>Settings of <see cref="WinRate.LengthControlled"/>.</summary>
public sealed record LengthControlOptions
{
    public LengthFeature Feature { get; init; } = LengthFeature.Tanh;

    /// <summary>L2 penalty on both coefficients; keeps them finite when every judgement goes one way.</summary>
    public double Ridge { get; init; } = 1e-4;

    /// <summary>Coverage of the Wald interval on the intercept.</summary>
    public double Confidence { get; init; } = 0.95;

    public static LengthControlOptions Default { get; } = new();
}

/// <summary>
/// A length-controlled win rate: <see cref="WinRate"/> = sigmoid(<see cref="Intercept"/>), the judge's predicted
/// preference for the model when its output is as long as the baseline's. <see cref="Lower"/>/<see cref="Upper"/>
/// map the intercept's Wald interval through the sigmoid. <see cref="LengthScale"/> is the sd of the length
/// differences that scaled the feature (0 when they are all equal: the slope is then unidentified, the fit is
/// intercept-only and the result is the raw win rate).
/// </summary>
public sealed record LengthControlledWinRate(
    double WinRate, double Lower, double Upper, double RawWinRate,
    double Intercept, double Slope, double InterceptStandardError, double LengthScale,
    int N, int Iterations, bool Converged);
