using PrefLab.Rewards;

namespace PrefLab.Lab.Grid;

/// <summary>
/// A <c>reward_model</c> level that combines other levels: <c>{ ensemble: [small, large], combine: mean }</c>.
/// <see cref="Members"/> name trained levels of the same factor, in the order the combiner (and
/// <see cref="Weights"/>) sees them; <see cref="Combine"/> is the CLI's <c>--ensemble</c> (mean, min or weights) and
/// <see cref="Weights"/> its <c>--ensemble-weights</c>, one per member, only with <c>weights</c>.
/// </summary>
public sealed record RewardModelEnsemble(IReadOnlyList<string> Members, string Combine, IReadOnlyList<double>? Weights)
{
    /// <summary>The combiners a grid may name: the CLI's, so a grid and <c>--ensemble</c> never disagree.</summary>
    public static IReadOnlyList<string> Combiners { get; } = Enum.GetValues<EnsembleCombiner>().Select(RewardEnsemble.Name).ToList();
}
