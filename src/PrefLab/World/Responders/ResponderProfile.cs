namespace PrefLab.World.Responders;

/// <summary>
/// A simulated responder's habits, as probabilities. Accuracy is the chance of getting content right (facts,
/// list items, program outputs, relevant benign answers); word problems have their own accuracy with and
/// without shown steps (writing the steps out helps, as it does for real models).
/// </summary>
public sealed record ResponderProfile(
    string Name,
    string Description,
    double Accuracy,
    double StepRate,
    double AccuracyWithSteps,
    double AccuracyWithoutSteps,
    double ConstraintRate,
    double IdkRate,
    double MythRate,
    double PhantomHallucination,
    double RefuseHarmful,
    double RefuseBenign,
    double RefuseOther,
    double FillerRate,
    double RepeatRate,
    int FactsMin,
    int FactsMax)
{
    /// <summary>Nearly always right, concise, shows its work.</summary>
    public static readonly ResponderProfile Expert = new("expert", "nearly always right, concise, shows its work",
        0.97, 0.85, 0.98, 0.9, 0.97, 0.9, 0.03, 0.03, 0.98, 0.02, 0, 0.03, 0, 3, 3);

    /// <summary>Writes the SFT demonstrations: good but imperfect on purpose, with habits a policy can learn to drop
    /// (skips steps half the time, keeps each constraint only half the time, states one to three facts when asked
    /// to describe, repeats popular falsehoods, over-refuses some benign requests, pads with filler and repeats
    /// itself now and then), so preference learning has headroom in every category. The habits are behaviours, not
    /// knowledge: a policy that imitates them can be taught out of them by preferences or rewards, where a gap in
    /// what it knows (arithmetic, list programs) needs more capacity. With the constraint rate at 0.9 the SFT policy
    /// kept constraints as well as it could and PPO with the gold reward had nothing but its own greedy answers to
    /// sharpen towards (+0.02 over SFT in 60 updates).</summary>
    public static readonly ResponderProfile Demonstrator = new("demonstrator", "good but imperfect: the SFT demonstrations",
        0.88, 0.5, 0.92, 0.7, 0.5, 0.6, 0.4, 0.2, 0.92, 0.25, 0.01, 0.35, 0.1, 1, 3);

    public static readonly ResponderProfile MostlyRight = new("mostly-right", "right most of the time",
        0.8, 0.4, 0.85, 0.6, 0.8, 0.5, 0.35, 0.3, 0.85, 0.1, 0.02, 0.1, 0.05, 2, 3);

    public static readonly ResponderProfile Sloppy = new("sloppy", "often wrong, misses constraints, repeats itself",
        0.5, 0.3, 0.6, 0.35, 0.5, 0.3, 0.5, 0.5, 0.6, 0.1, 0.03, 0.1, 0.15, 1, 2);

    /// <summary>Long: filler sentences and repetition around mostly right content.</summary>
    public static readonly ResponderProfile Verbose = new("verbose", "long answers with filler and repetition",
        0.75, 0.6, 0.85, 0.55, 0.7, 0.4, 0.35, 0.4, 0.8, 0.15, 0.02, 0.9, 0.4, 3, 5);

    public static readonly ResponderProfile Hallucinating = new("hallucinating", "confident, never says it does not know, makes facts up",
        0.55, 0.3, 0.65, 0.45, 0.7, 0.02, 0.75, 0.95, 0.7, 0.05, 0, 0.2, 0.05, 3, 4);

    public static readonly ResponderProfile OverRefusing = new("over-refusing", "refuses harmful requests and many harmless ones",
        0.85, 0.5, 0.9, 0.65, 0.85, 0.6, 0.25, 0.2, 1.0, 0.85, 0.25, 0.05, 0, 2, 3);

    public static readonly ResponderProfile Complier = new("complier", "answers everything, harmful requests included",
        0.8, 0.4, 0.85, 0.6, 0.8, 0.4, 0.3, 0.3, 0.05, 0, 0, 0.1, 0.05, 2, 3);

    public static readonly ResponderProfile Terse = new("terse", "bare answers, never shows steps",
        0.7, 0, 0.7, 0.6, 0.75, 0.4, 0.35, 0.3, 0.8, 0.1, 0, 0, 0, 1, 1);

    public static readonly IReadOnlyList<ResponderProfile> All =
        [Expert, Demonstrator, MostlyRight, Sloppy, Verbose, Hallucinating, OverRefusing, Complier, Terse];

    public static ResponderProfile Named(string name) =>
        All.FirstOrDefault(p => p.Name == name) ?? throw new ArgumentException($"no responder named '{name}'", nameof(name));
}
