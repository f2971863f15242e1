using System.Text.Json.Nodes;
using PrefLab.Evaluation.Benchmarks;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.IfEval;
using PrefLab.Runtime;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Suites;

/// <summary>
/// IFEval (category "ifeval"): each prompt is sent as a user message (or raw text), the response generated and checked
/// by <see cref="IfEvalScorer"/>. The item's score is prompt-level strict accuracy (1 when every instruction is
/// followed as written); prompt-level loose and instruction-level strict and loose (followed instructions over all
/// instructions, pooled over prompts, interval by resampling prompts) are reported beside it. Prompts holding an
/// instruction PrefLab cannot check (language:response_language) are left out and counted in the notes.
/// </summary>
public sealed class IfEvalSuite : PerItemSuite<IfEvalItem>
{
    public const string SuiteName = "ifeval";
    public const string Category = "ifeval";
    public const int DefaultMaxNewTokens = 512;

    readonly List<(EvalCase Case, IfEvalItem Item)> entries;
    readonly List<string> notes = [];

    public IfEvalSuite(string path, EvaluationOptions options)
    {
        Source = path;
        var file = IfEvalReader.Read(path);
        var supported = file.Items.Where(item => item.Instructions.All(i => InstructionRegistry.IsSupported(i.Id))).ToList();
        int skipped = file.Items.Count - supported.Count;
        if (skipped > 0)
        {
            var ids = file.Items.SelectMany(item => item.Instructions).Select(i => i.Id).Where(id => !InstructionRegistry.IsSupported(id))
                .Distinct().Order(StringComparer.Ordinal);
            notes.Add($"{skipped} of {file.Items.Count} prompts left out: they hold instructions PrefLab does not check ({string.Join(", ", ids)})");
        }
        if (supported.Count == 0) throw new UserError($"{path}: holds no prompt PrefLab can check");
        entries = LimitPerCategory(supported, _ => Category, options.Limit)
            .Select(item => (new EvalCase(Category, item.Key, new GenerationRequest(item.Prompt, DefaultMaxNewTokens, [])), item))
            .ToList();
    }

    public override string Name => SuiteName;
    public override string Source { get; }
    public override IReadOnlyList<string> Notes => notes;
    protected override IReadOnlyList<(EvalCase Case, IfEvalItem Item)> Entries => entries;
    public override string Headline => "prompt-level strict accuracy: 1 when the response follows every instruction as written";

    protected override ItemOutcome Score(IfEvalItem item, CaseResponse response)
    {
        var generated = response.RequireGenerated();
        var result = IfEvalScorer.Score(item, generated.Text);
        var metrics = new Dictionary<string, double>
        {
            ["prompt_strict"] = result.PromptFollowed(loose: false) ? 1 : 0,
            ["prompt_loose"] = result.PromptFollowed(loose: true) ? 1 : 0,
            ["instructions"] = result.InstructionCount,
            ["followed_strict"] = result.FollowedCount(loose: false),
            ["followed_loose"] = result.FollowedCount(loose: true),
        };
        var fields = new JsonObject
        {
            ["instruction_id_list"] = new JsonArray(result.InstructionIds.Select(id => (JsonNode)id).ToArray()),
            ["followed_strict"] = new JsonArray(result.Strict.Select(f => (JsonNode)f).ToArray()),
            ["followed_loose"] = new JsonArray(result.Loose.Select(f => (JsonNode)f).ToArray()),
            ["finish_reason"] = generated.FinishReason,
        };
        return new ItemOutcome(metrics["prompt_strict"], generated.Text, metrics, fields);
    }

    public override IReadOnlyList<MetricEstimate> Summarize(string category, IReadOnlyList<ItemResult> items, BootstrapOptions bootstrap)
    {
        var instructions = items.Select(i => i.Metrics["instructions"]).ToList();
        return
        [
            new("prompt_strict", "prompt-level strict accuracy (the score)", Bootstrap.Mean(items.Select(i => i.Metrics["prompt_strict"]).ToList(), bootstrap)),
            new("prompt_loose", "prompt-level loose accuracy", Bootstrap.Mean(items.Select(i => i.Metrics["prompt_loose"]).ToList(), bootstrap)),
            new("instruction_strict", "instruction-level strict accuracy",
                Bootstrap.Ratio(items.Select(i => i.Metrics["followed_strict"]).ToList(), instructions, bootstrap)),
            new("instruction_loose", "instruction-level loose accuracy",
                Bootstrap.Ratio(items.Select(i => i.Metrics["followed_loose"]).ToList(), instructions, bootstrap)),
        ];
    }
}
