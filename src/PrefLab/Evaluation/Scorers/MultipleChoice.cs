namespace PrefLab.Evaluation.Scorers;

/// <summary>The options a multiple-choice item picked under each normalisation, and whether each is right.</summary>
public sealed record MultipleChoiceResult(int Gold, int PickedRaw, int PickedPerToken, int PickedPerCharacter)
{
    public bool CorrectRaw => PickedRaw == Gold;
    public bool CorrectPerToken => PickedPerToken == Gold;
    public bool CorrectPerCharacter => PickedPerCharacter == Gold;

    public int Picked(ChoiceNormalization normalization) => normalization switch
    {
        ChoiceNormalization.None => PickedRaw,
        ChoiceNormalization.PerToken => PickedPerToken,
        ChoiceNormalization.PerCharacter => PickedPerCharacter,
        _ => throw new ArgumentOutOfRangeException(nameof(normalization), normalization, null),
    };

    /// <summary>1 when the option picked under <paramref name="normalization"/> is the gold one, else 0.</summary>
    public double Score(ChoiceNormalization normalization) => Picked(normalization) == Gold ? 1.0 : 0.0;
}

/// <summary>Accuracy of multiple-choice items under each normalisation.</summary>
public sealed record MultipleChoiceAccuracy(double Raw, double PerToken, double PerCharacter, int N);

/// <summary>
/// Multiple choice by log-likelihood: the model's answer is the option whose continuation it finds likeliest,
/// compared raw or per unit of length. Ties go to the earliest option (as numpy's argmax).
/// </summary>
public static class MultipleChoice
{
    /// <summary>The option's comparison score under <paramref name="normalization"/>.</summary>
    public static double Score(ChoiceLikelihood choice, ChoiceNormalization normalization) => normalization switch
    {
        ChoiceNormalization.None => choice.LogLikelihood,
        ChoiceNormalization.PerToken => choice.LogLikelihood / choice.TokenCount,
        ChoiceNormalization.PerCharacter => choice.LogLikelihood / choice.CharCount,
        _ => throw new ArgumentOutOfRangeException(nameof(normalization), normalization, null),
    };

    /// <summary>Index of the option picked under <paramref name="normalization"/> (the first of equal best).</summary>
    public static int Pick(IReadOnlyList<ChoiceLikelihood> choices, ChoiceNormalization normalization)
    {
        Validate(choices);
        int best = 0;
        double bestScore = Score(choices[0], normalization);
        for (int i = 1; i < choices.Count; i++)
        {
            double score = Score(choices[i], normalization);
            if (score > bestScore) (best, bestScore) = (i, score);
        }
        return best;
    }

    /// <summary>The item's picks under every normalisation, against the gold option's index.</summary>
    public static MultipleChoiceResult Score(IReadOnlyList<ChoiceLikelihood> choices, int gold)
    {
        Validate(choices);
        if (gold < 0 || gold >= choices.Count)
            throw new ArgumentOutOfRangeException(nameof(gold), gold, $"gold option must index one of the {choices.Count} options");
        return new MultipleChoiceResult(gold,
            Pick(choices, ChoiceNormalization.None),
            Pick(choices, ChoiceNormalization.PerToken),
            Pick(choices, ChoiceNormalization.PerCharacter));
    }

    /// <summary>Share of items answered right under each normalisation.</summary>
    public static MultipleChoiceAccuracy Accuracy(IReadOnlyCollection<MultipleChoiceResult> results)
    {
        if (results.Count == 0) throw new ArgumentException("no results", nameof(results));
        return new MultipleChoiceAccuracy(
            results.Average(r => r.Score(ChoiceNormalization.None)),
            results.Average(r => r.Score(ChoiceNormalization.PerToken)),
            results.Average(r => r.Score(ChoiceNormalization.PerCharacter)),
            results.Count);
    }

    /// <summary>
    /// TruthfulQA MC2's score: the probability mass of the true options among all options,
    /// sum over true of exp(ll) / sum over all of exp(ll), computed with the log-sum-exp shift.
    /// </summary>
    public static double TrueProbabilityMass(IReadOnlyList<ChoiceLikelihood> choices, IReadOnlyList<bool> isTrue)
    {
        Validate(choices);
        if (isTrue.Count != choices.Count)
            throw new ArgumentException($"need one truth flag per option: {choices.Count} options, {isTrue.Count} flags", nameof(isTrue));
        double max = choices.Max(c => c.LogLikelihood);
        double all = 0, truthful = 0;
        for (int i = 0; i < choices.Count; i++)
        {
            double weight = Math.Exp(choices[i].LogLikelihood - max);
            all += weight;
            if (isTrue[i]) truthful += weight;
        }
        return truthful / all;
    }

    static void Validate(IReadOnlyList<ChoiceLikelihood> choices)
    {
        if (choices.Count == 0) throw new ArgumentException("no options", nameof(choices));
        for (int i = 0; i < choices.Count; i++)
        {
            var c = choices[i];
            if (double.IsNaN(c.LogLikelihood) || double.IsPositiveInfinity(c.LogLikelihood))
                throw new ArgumentException($"option {i}: log-likelihood is {c.LogLikelihood}", nameof(choices));
            if (c.TokenCount < 1 || c.CharCount < 1)
                throw new ArgumentException($"option {i}: an option needs at least one token and one character (has {c.TokenCount} and {c.CharCount})", nameof(choices));
        }
    }
}
