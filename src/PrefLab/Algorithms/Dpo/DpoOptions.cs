using System.Globalization;
using PrefLab.Runtime;

namespace PrefLab.Algorithms.Dpo;

/// <summary>
/// The DPO-family knobs as the user gave them: null means "not given". <see cref="Validate"/> turns them into
/// <see cref="DpoSettings"/> with each loss's defaults, and refuses an option that the chosen loss would ignore
/// (no option is silently ignored).
///
/// Which option applies to which loss:
/// <list type="bullet">
/// <item><c>--beta</c>: all losses; default 0.1 (the paper's DPO recipe), 2.0 for simpo (SimPO's default).</item>
/// <item><c>--label-smoothing</c> ε: cdpo only; default 0.1; 0 &lt; ε &lt; 0.5 (ε = 0 is plain dpo: use
///   <c>--loss dpo</c>; ε ≥ 0.5 rewards preferring the rejected response).</item>
/// <item><c>--simpo-gamma</c> γ: simpo only; the target reward margin subtracted after scaling by β, default 0.5
///   (SimPO's released configuration: β 2.0 with γ/β = 0.25); γ ≥ 0.</item>
/// </list>
/// </summary>
public sealed record DpoOptions
{
    public const string LossOption = "loss";
    public const string BetaOption = "beta";
    public const string LabelSmoothingOption = "label-smoothing";
    public const string SimpoGammaOption = "simpo-gamma";

    public const double DefaultBeta = 0.1;
    public const double DefaultSimpoBeta = 2.0;
    public const double DefaultLabelSmoothing = 0.1;
    public const double DefaultSimpoGamma = 0.5;

    public DpoLossType Loss { get; init; } = DpoLossType.Dpo;
    public double? Beta { get; init; }
    public double? LabelSmoothing { get; init; }
    public double? SimpoGamma { get; init; }

    /// <summary>
    /// Checks the options against the loss and fills in defaults. Throws <see cref="UserError"/> naming the option
    /// and the loss when an option does not apply, or naming the option when its value is out of range.
    /// </summary>
    public DpoSettings Validate()
    {
        string loss = DpoLossTypes.Name(Loss);
        double beta = Beta ?? (Loss == DpoLossType.Simpo ? DefaultSimpoBeta : DefaultBeta);
        if (!(beta > 0) || !double.IsFinite(beta))
            throw UserError.InOption(BetaOption, $"must be a positive number, not {Format(beta)}");

        if (LabelSmoothing is { } given && Loss != DpoLossType.Cdpo)
            throw UserError.InOption(LabelSmoothingOption,
                $"does not apply to --loss {loss} (it is the ε of --loss cdpo){(Loss == DpoLossType.Dpo ? "; use --loss cdpo for label smoothing" : "")}; given {Format(given)}");
        if (SimpoGamma is { } gamma && Loss != DpoLossType.Simpo)
            throw UserError.InOption(SimpoGammaOption, $"does not apply to --loss {loss} (it is the target margin of --loss simpo); given {Format(gamma)}");

        double labelSmoothing = 0.0;
        if (Loss == DpoLossType.Cdpo)
        {
            labelSmoothing = LabelSmoothing ?? DefaultLabelSmoothing;
            if (!(labelSmoothing > 0 && labelSmoothing < 0.5))
                throw UserError.InOption(LabelSmoothingOption,
                    $"must be in (0, 0.5) for --loss cdpo, not {Format(labelSmoothing)} (0 is plain --loss dpo)");
        }

        double simpoGamma = 0.0;
        if (Loss == DpoLossType.Simpo)
        {
            simpoGamma = SimpoGamma ?? DefaultSimpoGamma;
            if (!(simpoGamma >= 0) || !double.IsFinite(simpoGamma))
                throw UserError.InOption(SimpoGammaOption, $"must be a finite number >= 0, not {Format(simpoGamma)}");
        }

        return new DpoSettings(Loss, beta, labelSmoothing, simpoGamma);
    }

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// Validated DPO-family settings (from <see cref="DpoOptions.Validate"/>): every field is meaningful for
/// <see cref="Loss"/>; LabelSmoothing is 0 unless cdpo and SimpoGamma is 0 unless simpo.
/// </summary>
public sealed record DpoSettings(DpoLossType Loss, double Beta, double LabelSmoothing, double SimpoGamma);
