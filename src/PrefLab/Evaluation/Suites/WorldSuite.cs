using System.Text.Json.Nodes;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Scorers;
using PrefLab.Statistics;
using PrefLab.World.Scoring;
using PrefLab.World;

namespace PrefLab.Evaluation.Suites;

/// <summary>
/// The Preference World's held-out evaluation: every category's items (eval/CATEGORY.jsonl, regenerated from the
/// world's seed with its gold judge). A generative item is answered by the model (the prompt as a user message) and
/// scored by <see cref="GoldJudge.Score(string, string)"/>: the item's score is the overall gold score in [0, 1],
/// its aspects go to the per-item output. A multiple-choice item (factuality and truthfulness) is answered by
/// log-likelihood, each option being the assistant's whole response (<see cref="ChoiceStyle.WholeResponse"/>), and
/// scores 1 or 0; the options are sentences of different lengths, so the headline normalises per token (option
/// log-likelihood divided by its token count, end-of-turn included) and the raw and per-character picks are reported
/// beside it. A category's score is the mean over its items, generative and multiple choice alike.
/// </summary>
public sealed class WorldSuite : PerItemSuite<EvalItem>
{
    public const string SuiteName = "world";
    public const int DefaultMaxNewTokens = 64;

    readonly List<(EvalCase Case, EvalItem Item)> entries;
    readonly ChoiceNormalization normalization;

    public WorldSuite(WorldInstance world, int? limit, ChoiceNormalization? normalization = null)
    {
        World = world;
        this.normalization = normalization ?? ChoiceNormalization.PerToken;
        var items = WorldCategories.All.SelectMany(category => world.EvalItems(category));
        entries = LimitPerCategory(items, i => i.Task.Category, limit).Select(item => (new EvalCase(item.Task.Category, item.Id,
            item.Choices is { } choices
                ? new ChoiceRequest(item.Task.Prompt, choices, ChoiceStyle.WholeResponse)
                : new GenerationRequest(item.Task.Prompt, DefaultMaxNewTokens, [])), item)).ToList();
    }

    public WorldInstance World { get; }
    public override string Name => SuiteName;
    public override string Source => World.Directory ?? "(in memory)";
    protected override IReadOnlyList<(EvalCase Case, EvalItem Item)> Entries => entries;

    public override string Headline =>
        $"gold overall score of the generated response (0..1); multiple-choice items 1/0 by {ChoiceOutcomes.Describe(normalization)} of the whole response";

    protected override ItemOutcome Score(EvalItem item, CaseResponse response)
    {
        var fields = new JsonObject { ["family"] = item.Task.Family, ["reference"] = item.Task.Reference };
        if (item.Choices is { } choices)
            return ChoiceOutcomes.Score(choices, response.RequireChoices(), item.Answer, normalization, fields);

        var generated = response.RequireGenerated();
        var gold = World.Judge.Score(item.Task, generated.Text);
        var aspects = new JsonObject();
        var metrics = new Dictionary<string, double> { ["gold"] = gold.Overall };
        foreach (var (aspect, value) in gold.Aspects)
        {
            aspects[aspect] = value;
            metrics[aspect] = value;
        }
        fields["aspects"] = aspects;
        fields["finish_reason"] = generated.FinishReason;
        fields["response_tokens"] = generated.TokenIds.Length;
        return new ItemOutcome(gold.Overall, generated.Text, metrics, fields);
    }

    public override IReadOnlyList<MetricEstimate> Summarize(string category, IReadOnlyList<ItemResult> items, BootstrapOptions bootstrap)
    {
        var summaries = new List<MetricEstimate?>
        {
            MeanOf("gold", "gold overall score of the generated items", items, bootstrap),
        };
        foreach (string aspect in GoldScore.AspectNames)
            summaries.Add(MeanOf(aspect, $"gold {aspect.Replace('_', ' ')} of the generated items", items, bootstrap) is { } estimate
                ? estimate with { Brief = false }
                : null);
        summaries.AddRange(ChoiceOutcomes.Summaries(items, bootstrap));
        return summaries.OfType<MetricEstimate>().ToList();
    }
}
