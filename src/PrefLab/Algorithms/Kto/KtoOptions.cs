using System.Globalization;
using PrefLab.Runtime;

namespace PrefLab.Algorithms.Kto;

/// <summary>
/// The KTO knobs as the user gave them (null: not given), with TRL's <c>KTOConfig</c> defaults: <c>--beta</c> 0.1,
/// <c>--desirable-weight</c> λ_D 1.0, <c>--undesirable-weight</c> λ_U 1.0. <see cref="Validate"/> fills the
/// defaults and refuses values out of range naming the option.
/// </summary>
public sealed record KtoOptions
{
    public const string BetaOption = "beta";
    public const string DesirableWeightOption = "desirable-weight";
    public const string UndesirableWeightOption = "undesirable-weight";

    public const double DefaultBeta = 0.1;
    public const double DefaultWeight = 1.0;

    public double? Beta { get; init; }
    public double? DesirableWeight { get; init; }
    public double? UndesirableWeight { get; init; }

    public KtoSettings Validate()
    {
        double beta = Beta ?? DefaultBeta;
        if (!(beta > 0) || !double.IsFinite(beta))
            throw UserError.InOption(BetaOption, $"must be a positive number, not {Format(beta)}");
        double desirable = DesirableWeight ?? DefaultWeight;
        if (!(desirable > 0) || !double.IsFinite(desirable))
            throw UserError.InOption(DesirableWeightOption, $"must be a positive number, not {Format(desirable)}");
        double undesirable = UndesirableWeight ?? DefaultWeight;
        if (!(undesirable > 0) || !double.IsFinite(undesirable))
            throw UserError.InOption(UndesirableWeightOption, $"must be a positive number, not {Format(undesirable)}");
        return new KtoSettings(beta, desirable, undesirable);
    }

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Validated KTO settings (<see cref="KtoOptions.Validate"/>).</summary>
/// <param name="DesirableWeight">λ_D, the weight of a desirable example's loss.</param>
/// <param name="UndesirableWeight">λ_U.</param>
public sealed record KtoSettings(double Beta, double DesirableWeight, double UndesirableWeight)
{
    /// <summary>TRL's check of the label balance: λ_D n_D / (λ_U n_U), which the KTO paper recommends keeping in
    /// [1, 4/3]; outside it TRL warns (and so does <c>preflab kto</c>).</summary>
    public double WeightedRatio(long desirable, long undesirable) =>
        undesirable == 0 ? double.PositiveInfinity : DesirableWeight * desirable / (UndesirableWeight * undesirable);
}
