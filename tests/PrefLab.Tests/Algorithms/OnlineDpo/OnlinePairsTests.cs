using PrefLab.Algorithms.OnlineDpo;
using Xunit;

namespace PrefLab.Tests.Algorithms.OnlineDpo;

/// <summary>Online DPO's pairing: best vs worst of each prompt's samples, with golden values worked by hand.</summary>
public class OnlinePairsTests
{
    static readonly bool[] AllEnded = Enumerable.Repeat(true, 9).ToArray();

    [Fact]
    public void Each_group_pairs_its_best_against_its_worst_and_a_tied_group_is_left_out()
    {
        // Groups of 3: [0.2, 0.9, 0.5] -> (1, 0); [0.3, 0.3, 0.3] ties; [0.1, 0.4, 0.8] -> (8, 6).
        double[] scores = [0.2, 0.9, 0.5, 0.3, 0.3, 0.3, 0.1, 0.4, 0.8];
        var pairing = OnlinePairs.BestVsWorst(scores, AllEnded, 3, missingEosPenalty: -10, labelNoise: 0, new Random(1));
        Assert.Equal([new OnlinePair(1, 0, 0.9, 0.2), new OnlinePair(8, 6, 0.8, 0.1)], pairing.Pairs);
        Assert.Equal((3, 1, 0), (pairing.Groups, pairing.Ties, pairing.Flipped));
    }

    [Fact]
    public void A_response_without_EOS_scores_the_penalty_and_equal_scores_keep_the_earliest_row()
    {
        // Row 1 (0.9) has no EOS: it scores -10 and becomes the worst; the best is row 2 (0.5). The second group
        // [0.6, 0.6, 0.1]: rows 3 and 4 tie at the top, so the best is row 3 (the earlier); the worst is row 5.
        double[] scores = [0.2, 0.9, 0.5, 0.6, 0.6, 0.1];
        bool[] ended = [true, false, true, true, true, true];
        var pairing = OnlinePairs.BestVsWorst(scores, ended, 3, missingEosPenalty: -10, labelNoise: 0, new Random(1));
        Assert.Equal([new OnlinePair(2, 1, 0.5, -10), new OnlinePair(3, 5, 0.6, 0.1)], pairing.Pairs);
        // Without a penalty the sample keeps its own score.
        var unpenalised = OnlinePairs.BestVsWorst(scores, ended, 3, missingEosPenalty: null, labelNoise: 0, new Random(1));
        Assert.Equal(new OnlinePair(1, 0, 0.9, 0.2), unpenalised.Pairs[0]);
    }

    [Fact]
    public void Label_noise_swaps_a_pair_when_its_draw_falls_below_epsilon_one_draw_per_pair()
    {
        // Three decisive groups of 2 (and one tie, which draws nothing). The draws are Random(11)'s first three.
        double[] scores = [0.1, 0.9, 0.5, 0.5, 0.7, 0.2, 0.3, 0.4];
        var draws = new Random(11);
        double[] u = [draws.NextDouble(), draws.NextDouble(), draws.NextDouble()];
        const double epsilon = 0.45;
        var pairing = OnlinePairs.BestVsWorst(scores, Enumerable.Repeat(true, 8).ToArray(), 2, null, epsilon, new Random(11));
        OnlinePair[] clean = [new(1, 0, 0.9, 0.1), new(4, 5, 0.7, 0.2), new(7, 6, 0.4, 0.3)];
        var expected = clean.Select((p, i) => u[i] < epsilon ? new OnlinePair(p.Rejected, p.Chosen, p.RejectedScore, p.ChosenScore) : p).ToList();
        Assert.Equal(expected, pairing.Pairs);
        Assert.Equal(u.Count(x => x < epsilon), pairing.Flipped);
        Assert.Equal(1, pairing.Ties);
        // ε = 0.5 is a fair coin on every label; ε = 0 never swaps.
        Assert.Equal(0, OnlinePairs.BestVsWorst(scores, Enumerable.Repeat(true, 8).ToArray(), 2, null, 0, new Random(11)).Flipped);
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.6)]
    [InlineData(2, -0.1)]
    public void Bad_arguments_are_refused(int k, double noise)
    {
        Assert.ThrowsAny<ArgumentException>(() => OnlinePairs.BestVsWorst([0.1, 0.2], [true, true], k, null, noise, new Random(1)));
    }

    [Fact]
    public void Scores_that_do_not_make_whole_groups_are_refused()
    {
        Assert.Throws<ArgumentException>(() => OnlinePairs.BestVsWorst([0.1, 0.2, 0.3], [true, true, true], 2, null, 0, new Random(1)));
    }
}
