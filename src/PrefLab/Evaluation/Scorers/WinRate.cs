using PrefLab.Statistics;

namespace PrefLab.Evaluation.Scorers;

/// <summary>
/// Pairwise win rate of a model against a baseline on the same prompts, from a judge's preferences. A preference
/// is the judge's probability that the model's output is better: 1 a win, 0 a loss, 0.5 a tie (or any value in
/// between from a probabilistic judge such as a reward model's Bradley-Terry probability).
/// </summary>
public static class WinRate
{
    /// <summary>
    /// The preference from two judge scores (gold scorer or reward model): 1 when the model's score beats the
    /// baseline's by more than <paramref name="tieMargin"/>, 0 when it trails by more, 0.5 otherwise.
    /// </summary>
    public static double PreferenceFromScores(double modelScore, double baselineScore, double tieMargin = 0)
    {
        if (!double.IsFinite(modelScore) || !double.IsFinite(baselineScore))
            throw new ArgumentException($"judge scores must be finite numbers ({modelScore}, {baselineScore})");
        if (tieMargin < 0) throw new ArgumentOutOfRangeException(nameof(tieMargin), tieMargin, "tie margin must not be negative");
        double difference = modelScore - baselineScore;
        return difference > tieMargin ? 1.0 : difference < -tieMargin ? 0.0 : 0.5;
    }

    /// <summary>The Bradley-Terry preference sigmoid((model - baseline) / temperature) from two reward scores.</summary>
    public static double BradleyTerryPreference(double modelScore, double baselineScore, double temperature = 1) =>
        LogisticFit.Sigmoid((modelScore - baselineScore) / temperature);

    /// <summary>The raw win rate: the mean preference (ties count one half).</summary>
    public static double Raw(IReadOnlyList<double> preferences)
    {
        RequirePreferences(preferences);
        return preferences.Average();
    }

    /// <summary>The raw win rate with its percentile-bootstrap interval over prompts.</summary>
    public static Estimate RawWithInterval(IReadOnlyList<double> preferences, BootstrapOptions? options = null)
    {
        RequirePreferences(preferences);
        return Bootstrap.Mean(preferences, options);
    }

    /// <summary>Per-prompt length differences in characters: model output minus baseline output.</summary>
    public static IReadOnlyList<double> LengthDifferences(IReadOnlyList<string> modelOutputs, IReadOnlyList<string> baselineOutputs)
    {
        if (modelOutputs.Count != baselineOutputs.Count)
            throw new ArgumentException($"need one baseline output per model output: {modelOutputs.Count} and {baselineOutputs.Count}");
        return modelOutputs.Select((output, i) => (double)(output.Length - baselineOutputs[i].Length)).ToList();
    }

    /// <summary>
    /// The length-controlled win rate (the AlpacaEval-LC idea): fits the logistic regression
    /// logit(preference) = a + b * f(length difference), f from <see cref="LengthControlOptions.Feature"/>, and
    /// reports sigmoid(a), the predicted win rate at zero length difference. A judge that rewards length shows
    /// as a positive slope; the intercept is what is left of the preference once length is accounted for.
    /// </summary>
    public static LengthControlledWinRate LengthControlled(IReadOnlyList<double> preferences, IReadOnlyList<double> lengthDifferences,
        LengthControlOptions? options = null)
    {
        options ??= LengthControlOptions.Default;
        RequirePreferences(preferences);
        if (lengthDifferences.Count != preferences.Count)
            throw new ArgumentException($"need one length difference per preference: {preferences.Count} preferences, {lengthDifferences.Count} differences");
        if (lengthDifferences.Any(d => !double.IsFinite(d))) throw new ArgumentException("length differences must be finite numbers");
        if (!(options.Confidence > 0 && options.Confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.Confidence, "confidence must lie strictly between 0 and 1");

        double scale = SampleStandardDeviation(lengthDifferences);
        var features = lengthDifferences.Select(d => scale > 0 ? Feature(d / scale, options.Feature) : 0.0).ToList();
        var fit = LogisticFit.Fit(features, preferences, options.Ridge);
        double standardError = Math.Sqrt(fit.InterceptVariance);
        double z = Normal.Quantile(0.5 + options.Confidence / 2);
        return new LengthControlledWinRate(
            LogisticFit.Sigmoid(fit.Intercept),
            LogisticFit.Sigmoid(fit.Intercept - z * standardError),
            LogisticFit.Sigmoid(fit.Intercept + z * standardError),
            preferences.Average(),
            fit.Intercept, fit.Slope, standardError, scale,
            preferences.Count, fit.Iterations, fit.Converged);
    }

    /// <summary>The regression feature of a standardised length difference.</summary>
    public static double Feature(double standardisedDifference, LengthFeature feature) => feature switch
    {
        LengthFeature.Tanh => Math.Tanh(standardisedDifference),
        LengthFeature.Linear => standardisedDifference,
        _ => throw new ArgumentOutOfRangeException(nameof(feature), feature, null),
    };

    /// <summary>The sample standard deviation (n - 1 denominator); 0 for fewer than two values.</summary>
    public static double SampleStandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        double sumOfSquares = values.Sum(v => (v - mean) * (v - mean));
        return Math.Sqrt(sumOfSquares / (values.Count - 1));
    }

    static void RequirePreferences(IReadOnlyList<double> preferences)
    {
        if (preferences.Count == 0) throw new ArgumentException("no preferences", nameof(preferences));
        for (int i = 0; i < preferences.Count; i++)
            if (!(preferences[i] >= 0 && preferences[i] <= 1))
                throw new ArgumentException($"preference {i} is {preferences[i]}; preferences lie in [0, 1] (1 win, 0.5 tie, 0 loss)", nameof(preferences));
    }
}
