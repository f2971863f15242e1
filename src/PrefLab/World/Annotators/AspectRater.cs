using PrefLab.World.Scoring;

namespace PrefLab.World.Annotators;

/// <summary>
/// UltraFeedback's fine-grained raters. Each of four aspects (helpfulness, honesty, instruction_following,
/// truthfulness) is rated 1-5 around 1 + 4 * (gold overall + the matching gold aspect) / 2, with independent
/// Gaussian noise of <see cref="AspectSigma"/>; "fine-grained_score" is their mean. The critique's
/// "overall_score" (1-10) is one noisier rating (<see cref="OverallSigma"/>) around 1 + 9 * gold overall,
/// marked down by <see cref="ConfidenceBias"/> for responses that hedge or refuse (a tone bias). Averaging four
/// independent ratings is why the mean tracks gold better than the overall score: binarizing by one or the
/// other gives different data.
/// </summary>
public sealed record AspectRater(string Name, string Description, double AspectSigma, double OverallSigma, double ConfidenceBias)
{
    /// <summary>UltraFeedback's aspect names and the gold aspect each one reads.</summary>
    public static readonly IReadOnlyList<(string Aspect, string Gold)> Aspects =
    [
        ("helpfulness", GoldScore.Helpfulness),
        ("honesty", GoldScore.Honesty),
        ("instruction_following", GoldScore.InstructionFollowing),
        ("truthfulness", GoldScore.Correctness),
    ];

    double AspectMean(ScoredResponse r, string gold) => 1 + 4 * (0.5 * r.Gold.Overall + 0.5 * r.Gold[gold]);

    double OverallMean(ScoredResponse r) => 1 + 9 * (r.Gold.Overall - (r.Unconfident ? ConfidenceBias : 0));

    /// <summary>The four aspect ratings (1-5) in <see cref="Aspects"/> order, then the overall score (1-10).</summary>
    public (int[] AspectRatings, int Overall) Rate(ScoredResponse r, Random rng)
    {
        var ratings = Aspects.Select(a => Gaussian.RoundedDraw(AspectMean(r, a.Gold), AspectSigma, 1, 5, rng)).ToArray();
        int overall = Gaussian.RoundedDraw(OverallMean(r), OverallSigma, 1, 10, rng);
        return (ratings, overall);
    }

    double[] SumDistribution(ScoredResponse r)
    {
        double[] sum = [1.0];
        foreach (var (_, gold) in Aspects)
            sum = Gaussian.Convolve(sum, Gaussian.RoundedDistribution(AspectMean(r, gold), AspectSigma, 1, 5));
        return sum;
    }

    /// <summary>Expected agreement of the mean-of-aspects comparison with gold (ties in the mean are not decisive).</summary>
    public (double Agree, double Decisive) ExpectMean(ScoredResponse better, ScoredResponse worse)
    {
        var (greater, equal) = Gaussian.Compare(SumDistribution(better), SumDistribution(worse));
        return (greater, 1 - equal);
    }

    public (double Agree, double Decisive) ExpectOverall(ScoredResponse better, ScoredResponse worse)
    {
        var (greater, equal) = Gaussian.Compare(
            Gaussian.RoundedDistribution(OverallMean(better), OverallSigma, 1, 10),
            Gaussian.RoundedDistribution(OverallMean(worse), OverallSigma, 1, 10));
        return (greater, 1 - equal);
    }

    /// <summary>A short rationale in the World's language for a 1-5 rating.</summary>
    public static string Rationale(int rating) => rating switch
    {
        5 => "the answer is right and clear .",
        4 => "the answer is mostly right .",
        3 => "the answer is right in part .",
        2 => "the answer has a clear mistake .",
        _ => "the answer is wrong .",
    };

    public static string Critique(int overall) => overall >= 8 ? "a good answer ." : overall >= 5 ? "an answer with some mistakes ." : "a bad answer .";
}

/// <summary>
/// HelpSteer's attribute raters: helpfulness, correctness, coherence, complexity and verbosity on 0-4, each
/// rounded from its underlying value plus Gaussian noise of <see cref="Sigma"/>. helpfulness reads gold
/// overall, correctness the gold correctness aspect; coherence falls with repetition; complexity and verbosity
/// grow with length.
/// </summary>
public sealed record AttributeRater(string Name, string Description, double Sigma)
{
    double HelpfulnessMean(ScoredResponse r) => 4 * r.Gold.Overall;

    public (int Helpfulness, int Correctness, int Coherence, int Complexity, int Verbosity) Rate(ScoredResponse r, Random rng)
    {
        var analysis = ResponseAnalysis.Of(r.Text);
        double coherence = 4 * (1 - Math.Min(1, 0.5 * analysis.DuplicateSentences + analysis.LoopFraction));
        return (Gaussian.RoundedDraw(HelpfulnessMean(r), Sigma, 0, 4, rng),
            Gaussian.RoundedDraw(4 * r.Gold[GoldScore.Correctness], Sigma, 0, 4, rng),
            Gaussian.RoundedDraw(coherence, Sigma, 0, 4, rng),
            Gaussian.RoundedDraw(Math.Min(4, r.Length / 10.0), Sigma, 0, 4, rng),
            Gaussian.RoundedDraw(Math.Min(4, r.Length / 8.0), Sigma, 0, 4, rng));
    }

    public (double Agree, double Decisive) ExpectHelpfulness(ScoredResponse better, ScoredResponse worse)
    {
        var (greater, equal) = Gaussian.Compare(
            Gaussian.RoundedDistribution(HelpfulnessMean(better), Sigma, 0, 4),
            Gaussian.RoundedDistribution(HelpfulnessMean(worse), Sigma, 0, 4));
        return (greater, 1 - equal);
    }
}
