using PrefLab.Rewards;
using PrefLab.Runtime;

namespace PrefLab.Cli.Commands;

/// <summary><c>--ensemble</c> and <c>--ensemble-weights</c> as <c>bon</c> and <c>rm eval</c> read them; errors name the option.</summary>
public static class EnsembleOptions
{
    /// <summary>The rule for <paramref name="members"/> reward models: null with one (and no --ensemble);
    /// mean when several are given without --ensemble (unless <paramref name="requireCombiner"/>).</summary>
    public static RewardEnsemble? Rule(string? combiner, string? weights, int members, bool requireCombiner = false)
    {
        if (members < 2)
        {
            if (combiner is not null) throw UserError.InOption("ensemble", "combines two or more reward models: repeat --reward-model");
            if (weights is not null) throw UserError.InOption("ensemble-weights", "applies only to an ensemble (--reward-model repeated, --ensemble weights)");
            return null;
        }
        if (combiner is null)
        {
            if (weights is not null) throw UserError.InOption("ensemble-weights", "applies only with --ensemble weights");
            if (requireCombiner) return null;
        }
        return RewardEnsemble.Create(combiner is null ? EnsembleCombiner.Mean : RewardEnsemble.ParseCombiner(combiner),
            weights is null ? null : RewardEnsemble.ParseWeights(weights), members);
    }
}
