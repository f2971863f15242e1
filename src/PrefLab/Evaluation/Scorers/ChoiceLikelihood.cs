namespace PrefLab.Evaluation.Scorers;

/// <summary>
/// One answer option as a model scored it: the summed log-likelihood of the option's continuation given the
/// question, and the continuation's length in tokens and in characters (the normalisers).
/// </summary>
public readonly record struct ChoiceLikelihood(double LogLikelihood, int TokenCount, int CharCount);

/// <summary>
/// How options are compared. <see cref="None"/> is lm-eval-harness's <c>acc</c> (summed log-likelihood),
/// <see cref="PerCharacter"/> its <c>acc_norm</c> (divided by the continuation's character count),
/// <see cref="PerToken"/> divides by the token count.
/// </summary>
public enum ChoiceNormalization
{
    None,
    PerToken,
    PerCharacter,
}
