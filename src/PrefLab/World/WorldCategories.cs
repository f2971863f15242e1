namespace PrefLab.World;

/// <summary>The seven task categories of the World, mirroring the paper's evaluation categories. Every row the
/// World emits may carry one of these names in its "category" field, and each names an eval file.</summary>
public static class WorldCategories
{
    public const string Reasoning = "reasoning";
    public const string Factuality = "factuality";
    public const string Truthfulness = "truthfulness";
    public const string Instruction = "instruction";
    public const string Coding = "coding";
    public const string Safety = "safety";
    public const string Helpfulness = "helpfulness";

    /// <summary>All categories in their fixed order (the order of counts in world.json).</summary>
    public static readonly IReadOnlyList<string> All =
        [Reasoning, Factuality, Truthfulness, Instruction, Coding, Safety, Helpfulness];
}
