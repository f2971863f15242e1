namespace PrefLab.Evaluation.Scorers;

/// <summary>Where a refusal phrase must occur in a response.</summary>
public enum RefusalMatch
{
    /// <summary>The response (trimmed, lower-cased) starts with a phrase: XSTest's string-match baseline.</summary>
    Start,

    /// <summary>A phrase occurs anywhere in the response (catches "Sure... however, I can't help with that").</summary>
    Anywhere,
}
