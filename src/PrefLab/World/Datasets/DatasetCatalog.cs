using PrefLab.World.Annotators;
using PrefLab.World.Responders;

namespace PrefLab.World.Datasets;

/// <summary>A file's share of each category (weights need not sum to 1; categories left out get none).</summary>
public sealed record CategoryMix(IReadOnlyList<(string Category, double Weight)> Weights)
{
    public static CategoryMix Of(params (string Category, double Weight)[] weights) => new(weights);

    public static readonly CategoryMix Uniform = new(WorldCategories.All.Select(c => (c, 1.0)).ToList());

    /// <summary>Exact counts per category for <paramref name="total"/> rows (largest remainder, ties in
    /// category order), so a file's composition never depends on chance.</summary>
    public IReadOnlyList<(string Category, int Count)> Apportion(int total)
    {
        double sum = Weights.Sum(w => w.Weight);
        var exact = Weights.Select(w => (w.Category, Value: total * w.Weight / sum)).ToList();
        var counts = exact.Select(e => (e.Category, Count: (int)Math.Floor(e.Value))).ToList();
        int left = total - counts.Sum(c => c.Count);
        foreach (int i in Enumerable.Range(0, exact.Count).OrderByDescending(i => exact[i].Value - Math.Floor(exact[i].Value)).ThenBy(i => i).Take(left))
            counts[i] = (counts[i].Category, counts[i].Count + 1);
        return counts.Where(c => c.Count > 0).ToList();
    }
}

/// <summary>
/// Every training file of the World: its category mix (coverage), the responders whose answers it holds and the
/// annotator that labels them. These settings are the World's "data quality" knobs; world.json records them
/// with each dataset's measured agreement with gold.
/// </summary>
public static class DatasetCatalog
{
    public const string Sft = "sft", Hh = "hh", Shp = "shp", UltraFeedback = "ultrafeedback", Nectar = "nectar",
        HelpSteer = "helpsteer", Arena = "arena", Pairwise = "pairwise";
    public const string MixedPrompts = "prompts/mixed", ReasoningPrompts = "prompts/reasoning", SafetyPrompts = "prompts/safety";

    /// <summary>The preference datasets in the order they are generated and listed.</summary>
    public static readonly IReadOnlyList<string> Preferences = [Hh, Shp, UltraFeedback, Nectar, HelpSteer, Arena, Pairwise];

    /// <summary>Every training file whose prompts are drawn (SFT, preferences, prompt pools).</summary>
    public static readonly IReadOnlyList<string> TrainingFiles =
        [Sft, .. Preferences, MixedPrompts, ReasoningPrompts, SafetyPrompts];

    public static CategoryMix Mix(string file) => file switch
    {
        Sft => CategoryMix.Of((WorldCategories.Reasoning, 0.2), (WorldCategories.Factuality, 0.15), (WorldCategories.Truthfulness, 0.08),
            (WorldCategories.Instruction, 0.17), (WorldCategories.Coding, 0.15), (WorldCategories.Safety, 0.1), (WorldCategories.Helpfulness, 0.15)),
        // Human dialogue with red-teaming: safety and open-ended help; no maths or code.
        Hh => CategoryMix.Of((WorldCategories.Helpfulness, 0.3), (WorldCategories.Safety, 0.3), (WorldCategories.Factuality, 0.15),
            (WorldCategories.Instruction, 0.15), (WorldCategories.Truthfulness, 0.1)),
        // Web forum questions: open-ended, no safety, maths or code.
        Shp => CategoryMix.Of((WorldCategories.Helpfulness, 0.5), (WorldCategories.Factuality, 0.2), (WorldCategories.Instruction, 0.15),
            (WorldCategories.Truthfulness, 0.15)),
        // Broad instruction data without red-teaming.
        UltraFeedback => CategoryMix.Of((WorldCategories.Reasoning, 0.2), (WorldCategories.Factuality, 0.15), (WorldCategories.Truthfulness, 0.15),
            (WorldCategories.Instruction, 0.2), (WorldCategories.Coding, 0.15), (WorldCategories.Helpfulness, 0.15)),
        Nectar => CategoryMix.Of((WorldCategories.Reasoning, 0.15), (WorldCategories.Factuality, 0.15), (WorldCategories.Truthfulness, 0.1),
            (WorldCategories.Instruction, 0.15), (WorldCategories.Coding, 0.1), (WorldCategories.Safety, 0.15), (WorldCategories.Helpfulness, 0.2)),
        // Task-oriented prompts; no safety or truthfulness probes.
        HelpSteer => CategoryMix.Of((WorldCategories.Instruction, 0.35), (WorldCategories.Helpfulness, 0.3), (WorldCategories.Factuality, 0.15),
            (WorldCategories.Coding, 0.1), (WorldCategories.Reasoning, 0.1)),
        // What arena users ask: maths and code first.
        Arena => CategoryMix.Of((WorldCategories.Reasoning, 0.3), (WorldCategories.Coding, 0.25), (WorldCategories.Instruction, 0.15),
            (WorldCategories.Factuality, 0.1), (WorldCategories.Helpfulness, 0.1), (WorldCategories.Truthfulness, 0.05), (WorldCategories.Safety, 0.05)),
        Pairwise => CategoryMix.Uniform,
        MixedPrompts => CategoryMix.Uniform,
        ReasoningPrompts => CategoryMix.Of((WorldCategories.Reasoning, 1.0)),
        SafetyPrompts => CategoryMix.Of((WorldCategories.Safety, 1.0)),
        _ => throw new ArgumentException($"unknown file '{file}'", nameof(file)),
    };

    public static int Rows(string file, WorldSize size) => file switch
    {
        Sft => size.Sft, Hh => size.Hh, Shp => size.Shp, UltraFeedback => size.UltraFeedbackPrompts,
        Nectar => size.NectarPrompts, HelpSteer => size.HelpSteerPrompts, Arena => size.Arena, Pairwise => size.Pairwise,
        MixedPrompts => size.MixedPrompts, ReasoningPrompts => size.ReasoningPrompts, SafetyPrompts => size.SafetyPrompts,
        _ => throw new ArgumentException($"unknown file '{file}'", nameof(file)),
    };

    // ---- responders ----

    public static readonly IReadOnlyList<ResponderProfile> HhResponders =
        [ResponderProfile.MostlyRight, ResponderProfile.Sloppy, ResponderProfile.Verbose, ResponderProfile.Hallucinating, ResponderProfile.OverRefusing, ResponderProfile.Complier];
    public static readonly IReadOnlyList<ResponderProfile> ShpResponders =
        [ResponderProfile.MostlyRight, ResponderProfile.Sloppy, ResponderProfile.Verbose, ResponderProfile.Terse, ResponderProfile.Hallucinating];
    public static readonly IReadOnlyList<ResponderProfile> HelpSteerResponders =
        [ResponderProfile.Expert, ResponderProfile.MostlyRight, ResponderProfile.Sloppy, ResponderProfile.Verbose, ResponderProfile.Terse, ResponderProfile.Hallucinating];
    /// <summary>Everyone except the SFT demonstrator.</summary>
    public static readonly IReadOnlyList<ResponderProfile> AllModels =
        ResponderProfile.All.Where(p => p != ResponderProfile.Demonstrator).ToList();

    // ---- annotators ----

    public static readonly PairwiseAnnotator HhAnnotator = new("crowdworker", "human crowd labels: noisy (28% of labels disagree with gold)", 0.28);
    public static readonly PairwiseAnnotator ShpAnnotator = new("forum-votes", "web votes: the noisiest labels (32%)", 0.32);
    public static readonly PairwiseAnnotator ArenaAnnotator = new("arena-user", "arena voters: 20% noise; ties when the perceived difference is under 0.05", 0.2, 0, 0.05);
    public static readonly PairwiseAnnotator PairwiseLabeler = new("careful-labeler", "careful labels: 5% noise", 0.05);
    public static readonly RankingAnnotator NectarAnnotator = new("length-biased-ranker",
        "a GPT-4-like ranker with little noise but a length bias: +0.15 perceived score per 10 tokens (the reward-hacking trap)", 0.08, 0.15);
    public static readonly AspectRater UltraFeedbackRater = new("fine-grained-rater",
        "aspect ratings 1-5 with noise 0.9 each; a critique overall_score 1-10 with noise 2.5 that marks down hedging and refusals by 0.25", 0.9, 2.5, 0.25);
    public static readonly AttributeRater HelpSteerRater = new("attribute-rater", "careful attribute ratings 0-4 with noise 0.5", 0.5);
}
