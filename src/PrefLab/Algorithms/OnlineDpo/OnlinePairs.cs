namespace PrefLab.Algorithms.OnlineDpo;

/// <summary>One preference pair built from a prompt's samples: rollout rows of the chosen and the rejected response.</summary>
public readonly record struct OnlinePair(int Chosen, int Rejected, double ChosenScore, double RejectedScore);

/// <summary>The pairs of one update, and what was left out or flipped.</summary>
/// <param name="Ties">Prompts whose samples all scored the same (no preference to learn): left out.</param>
/// <param name="Flipped">Pairs whose label the simulated annotator's noise swapped.</param>
public sealed record OnlinePairing(IReadOnlyList<OnlinePair> Pairs, int Groups, int Ties, int Flipped);

/// <summary>
/// How online DPO turns k scored samples per prompt into one pair (Guo et al. 2024; Xiong et al. 2024's iterative
/// DPO; OpenRLHF's best-vs-worst): the judge's best sample is chosen and its worst rejected, a response without EOS
/// scored as the missing-EOS penalty (as PPO's reward is). A prompt whose samples tie is left out. With label noise
/// ε, each pair is swapped with probability ε — a simulated annotator that agrees with the judge 1 - ε of the
/// time, as the World's pairwise annotators do. Rows of one prompt are adjacent (group g is rows g·k .. g·k+k-1);
/// ties pick the earliest row, so the result is a pure function of its inputs and the random stream.
/// </summary>
public static class OnlinePairs
{
    /// <param name="scores">[groups · k] the judge's score of each sample.</param>
    /// <param name="hasEos">[groups · k] whether each sample ended with EOS.</param>
    /// <param name="missingEosPenalty">the score of a sample without EOS; null: its own score.</param>
    /// <param name="labelNoise">ε in [0, 0.5]: the chance a pair's label is swapped.</param>
    /// <param name="random">draws one number per pair (whatever ε), so the stream advances the same way for any outcome.</param>
    public static OnlinePairing BestVsWorst(IReadOnlyList<double> scores, IReadOnlyList<bool> hasEos, int k, double? missingEosPenalty,
        double labelNoise, Random random)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "a pair needs at least 2 samples per prompt");
        if (scores.Count % k != 0 || hasEos.Count != scores.Count)
            throw new ArgumentException($"{scores.Count} scores and {hasEos.Count} EOS flags do not make groups of {k}");
        if (!(labelNoise >= 0 && labelNoise <= 0.5)) throw new ArgumentOutOfRangeException(nameof(labelNoise), labelNoise, "label noise must be in [0, 0.5]");
        int groups = scores.Count / k, ties = 0, flipped = 0;
        var pairs = new List<OnlinePair>(groups);
        for (int g = 0; g < groups; g++)
        {
            int best = g * k, worst = g * k;
            double Effective(int row) => !hasEos[row] && missingEosPenalty is double penalty ? penalty : scores[row];
            for (int row = g * k + 1; row < (g + 1) * k; row++)
            {
                if (Effective(row) > Effective(best)) best = row;
                if (Effective(row) < Effective(worst)) worst = row;
            }
            if (Effective(best) == Effective(worst)) { ties++; continue; }
            var pair = new OnlinePair(best, worst, Effective(best), Effective(worst));
            if (random.NextDouble() < labelNoise)
            {
                pair = new OnlinePair(worst, best, Effective(worst), Effective(best));
                flipped++;
            }
            pairs.Add(pair);
        }
        return new OnlinePairing(pairs, groups, ties, flipped);
    }
}
