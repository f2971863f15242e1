namespace PrefLab.Evaluation.RewardModels;

/// <summary>One bin of a reliability diagram: pairs whose confidence fell in [Lower, Upper).</summary>
public sealed record CalibrationBin(double Lower, double Upper, int Pairs, double MeanConfidence, double Accuracy);

/// <summary>Expected calibration error and its bins.</summary>
public sealed record Calibration(double Ece, int BinCount, IReadOnlyList<CalibrationBin> Bins)
{
    public const string Method =
        "top-label ECE (Guo et al. 2017) of p = sigmoid(r_chosen - r_rejected) on raw rewards: confidence max(p, 1-p), " +
        "correct when the RM's pick is the labelled chosen (p = 0.5 counts 0.5); equal-width bins over confidence [0.5, 1] " +
        "(10 bins of 0.05, the last closed); ECE = sum over bins of (pairs in bin / pairs) * |accuracy - mean confidence|";
}

/// <summary>How reward goes with response length: a reward model that simply likes long answers is a
/// reward-hacking warning sign.</summary>
/// <param name="Responses">Responses behind the correlations (both sides of every pair).</param>
/// <param name="Pearson">Pearson correlation of raw reward with response length in tokens (null when either is constant).</param>
/// <param name="Spearman">Spearman rank correlation (ties take their average rank).</param>
/// <param name="LengthDecidedPairs">Pairs whose two responses differ in length.</param>
/// <param name="RmPrefersLonger">Among those, how often the RM scores the longer response higher (reward ties 0.5).</param>
/// <param name="ChosenLonger">Among those, how often the labelled chosen response is the longer one (the data's own length bias).</param>
public sealed record LengthCorrelation(int Responses, double? Pearson, double? Spearman, int LengthDecidedPairs, double? RmPrefersLonger, double? ChosenLonger);

/// <summary>Pure statistics for reward-model evaluation (no model, no I/O).</summary>
public static class RewardStatistics
{
    /// <summary>1 when r_c &gt; r_r, 0.5 on a tie, 0 otherwise (as <c>BradleyTerry.Metrics</c>).</summary>
    public static double Correct(double chosen, double rejected) => chosen > rejected ? 1 : chosen == rejected ? 0.5 : 0;

    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>See <see cref="Calibration.Method"/>.</summary>
    public static Calibration ExpectedCalibrationError(IReadOnlyList<double> chosen, IReadOnlyList<double> rejected, int bins = 10)
    {
        if (chosen.Count != rejected.Count) throw new ArgumentException("chosen and rejected rewards differ in count");
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins));
        var count = new int[bins];
        var confidence = new double[bins];
        var correct = new double[bins];
        double width = 0.5 / bins;
        for (int i = 0; i < chosen.Count; i++)
        {
            double p = Sigmoid(chosen[i] - rejected[i]);
            double c = Math.Max(p, 1 - p);
            int b = Math.Min(bins - 1, (int)Math.Floor((c - 0.5) / width));
            count[b]++;
            confidence[b] += c;
            correct[b] += p > 0.5 ? 1 : p < 0.5 ? 0 : 0.5;
        }
        double ece = 0;
        var result = new List<CalibrationBin>(bins);
        for (int b = 0; b < bins; b++)
        {
            double meanConfidence = count[b] > 0 ? confidence[b] / count[b] : 0;
            double accuracy = count[b] > 0 ? correct[b] / count[b] : 0;
            if (count[b] > 0) ece += (double)count[b] / chosen.Count * Math.Abs(accuracy - meanConfidence);
            result.Add(new CalibrationBin(0.5 + b * width, 0.5 + (b + 1) * width, count[b], meanConfidence, accuracy));
        }
        return new Calibration(chosen.Count == 0 ? 0 : ece, bins, result);
    }

    /// <summary>Pearson correlation; null when fewer than 2 values or either side is constant.</summary>
    public static double? Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException("x and y differ in count");
        int n = x.Count;
        if (n < 2) return null;
        double mx = x.Average(), my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx <= 0 || syy <= 0) return null;
        return sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Spearman rank correlation: Pearson of the ranks, tied values sharing their average rank.</summary>
    public static double? Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(Ranks(x), Ranks(y));

    /// <summary>1-based ranks; ties get the mean of the ranks they span.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>Reward-length relation over pairs: chosen/rejected rewards and their response lengths in tokens.</summary>
    public static LengthCorrelation Length(IReadOnlyList<double> chosen, IReadOnlyList<double> rejected,
        IReadOnlyList<int> chosenLength, IReadOnlyList<int> rejectedLength)
    {
        var rewards = chosen.Concat(rejected).ToList();
        var lengths = chosenLength.Concat(rejectedLength).Select(l => (double)l).ToList();
        int decided = 0;
        double prefersLonger = 0, chosenLonger = 0;
        for (int i = 0; i < chosen.Count; i++)
        {
            if (chosenLength[i] == rejectedLength[i]) continue;
            decided++;
            bool chosenIsLonger = chosenLength[i] > rejectedLength[i];
            if (chosenIsLonger) chosenLonger++;
            prefersLonger += chosenIsLonger ? Correct(chosen[i], rejected[i]) : Correct(rejected[i], chosen[i]);
        }
        return new LengthCorrelation(rewards.Count, Pearson(rewards, lengths), Spearman(rewards, lengths), decided,
            decided > 0 ? prefersLonger / decided : null, decided > 0 ? chosenLonger / decided : null);
    }
}
