namespace PrefLab.World;

public enum WorldScale { Small, Default }

/// <summary>
/// How many rows each file gets. Small is for tests (the whole world in about a second); Default for the demo
/// (a few thousand rows per preference dataset, tens of thousands of pretraining sentences, a few hundred eval
/// prompts per category).
/// </summary>
public sealed record WorldSize(
    int PretrainDocuments,
    int Sft,
    int Hh,
    int Shp,
    int UltraFeedbackPrompts,
    int NectarPrompts,
    int HelpSteerPrompts,
    int Arena,
    int Pairwise,
    int MixedPrompts,
    int ReasoningPrompts,
    int SafetyPrompts,
    int EvalPerCategory)
{
    public static WorldSize Of(WorldScale scale) => scale switch
    {
        WorldScale.Small => new(1500, 400, 300, 240, 150, 100, 120, 240, 240, 200, 120, 80, 40),
        _ => new(24000, 5000, 4000, 3000, 2000, 1200, 1500, 3000, 3000, 4000, 2000, 1000, 300),
    };

    public static string Name(WorldScale scale) => scale == WorldScale.Small ? "small" : "default";

    public static WorldScale Parse(string name) => name switch
    {
        "small" => WorldScale.Small,
        "default" => WorldScale.Default,
        _ => throw new ArgumentException($"unknown scale '{name}' (expected small or default)", nameof(name)),
    };
}
