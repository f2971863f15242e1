namespace PrefLab.World.Annotators;

/// <summary>
/// Picks the better of two responses. It perceives gold.Overall plus <see cref="LengthBias"/> per 10 tokens
/// (a length-biased annotator prefers longer answers), prefers the higher perceived score (a coin flip on exact
/// ties), then flips its label with probability <see cref="Noise"/>. With a <see cref="TieMargin"/>, perceived
/// differences below it are declared ties (arena). Without bias its agreement with gold is exactly 1 - Noise.
/// </summary>
public sealed record PairwiseAnnotator(string Name, string Description, double Noise, double LengthBias = 0, double TieMargin = 0)
{
    public double Perceived(ScoredResponse r) => r.Gold.Overall + LengthBias * r.Length / 10.0;

    /// <summary>True when the first is preferred, false for the second, null for a declared tie. Always
    /// draws two numbers, so the stream advances the same way whatever the outcome.</summary>
    public bool? Judge(ScoredResponse first, ScoredResponse second, Random rng)
    {
        double coin = rng.NextDouble(), flip = rng.NextDouble();
        double difference = Perceived(first) - Perceived(second);
        if (TieMargin > 0 && Math.Abs(difference) < TieMargin) return null;
        bool prefersFirst = Math.Abs(difference) < 1e-12 ? coin < 0.5 : difference > 0;
        return flip < Noise ? !prefersFirst : prefersFirst;
    }

    /// <summary>(P(label picks the gold-better one), P(label is not a tie)) under this model.</summary>
    public (double Agree, double Decisive) Expect(ScoredResponse better, ScoredResponse worse)
    {
        double difference = Perceived(better) - Perceived(worse);
        if (TieMargin > 0 && Math.Abs(difference) < TieMargin) return (0, 0);
        if (Math.Abs(difference) < 1e-12) return (0.5, 1);
        return (difference > 0 ? 1 - Noise : Noise, 1);
    }
}

/// <summary>
/// Ranks several responses (Nectar's GPT-4-style ranker): each gets its perceived score (gold plus a length
/// bias per 10 tokens) plus Gaussian noise of <see cref="Sigma"/>, and ranks follow (1 = best).
/// P(better ranked above worse) = Phi(perceived difference / (Sigma * sqrt 2)).
/// </summary>
public sealed record RankingAnnotator(string Name, string Description, double Sigma, double LengthBias)
{
    public double Perceived(ScoredResponse r) => r.Gold.Overall + LengthBias * r.Length / 10.0;

    /// <summary>Rank of each response (1 = best), in input order.</summary>
    public int[] Rank(IReadOnlyList<ScoredResponse> responses, Random rng)
    {
        var keys = responses.Select(r => Perceived(r) + Sigma * Gaussian.Sample(rng)).ToArray();
        var order = Enumerable.Range(0, responses.Count).OrderByDescending(i => keys[i]).ThenBy(i => i).ToArray();
        var ranks = new int[responses.Count];
        for (int position = 0; position < order.Length; position++) ranks[order[position]] = position + 1;
        return ranks;
    }

    public (double Agree, double Decisive) Expect(ScoredResponse better, ScoredResponse worse) =>
        (Gaussian.Cdf((Perceived(better) - Perceived(worse)) / (Sigma * Math.Sqrt(2))), 1);
}
