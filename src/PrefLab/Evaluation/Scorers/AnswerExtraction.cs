namespace PrefLab.Evaluation.Scorers;

/// <summary>Where a generative answer's final number is taken from.</summary>
public enum AnswerExtraction
{
    /// <summary>GSM8K's convention: the first number after the first "####" on its line (lm-eval's strict match).</summary>
    Gsm8kMarker,

    /// <summary>The last number anywhere in the text (lm-eval's flexible extract).</summary>
    LastNumber,

    /// <summary>The "####" answer when there is one, else the last number in the text.</summary>
    Gsm8kMarkerThenLastNumber,
}
