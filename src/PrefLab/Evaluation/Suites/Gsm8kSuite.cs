using System.Text.Json.Nodes;
using PrefLab.Evaluation.Benchmarks;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Scorers;
using PrefLab.Runtime;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Suites;

/// <summary>
/// GSM8K (category "gsm8k"): the prompt is lm-eval-harness's ("Question: ...\nAnswer: &lt;solution&gt;" for each of k
/// examples, then "Question: ...\nAnswer:"; <see cref="Gsm8kPrompts"/>), sent as one user message (or raw text);
/// examples are drawn per question by the seed from the few-shot file or the suite file, never the question itself.
/// The response is generated (stopping at "Question:") and its final number compared by value with the reference's
/// "#### n": the item's score uses the "####" answer when the response has one, else its last number (flexible);
/// the strict reading (the "####" answer only) is reported beside it.
/// </summary>
public sealed class Gsm8kSuite : PerItemSuite<Gsm8kItem>
{
    public const string SuiteName = "gsm8k";
    public const string Category = "gsm8k";
    public const int DefaultMaxNewTokens = 256;

    readonly List<(EvalCase Case, Gsm8kItem Item)> entries;
    readonly List<string> notes = [];

    public Gsm8kSuite(string path, EvaluationOptions options)
    {
        Source = path;
        var file = Gsm8kReader.Read(path);
        if (file.Items.Count == 0) throw new UserError($"{path}: holds no GSM8K problems");
        var pool = options.FewShotFile is string shots ? Gsm8kReader.Read(shots).Items : file.Items;
        int k = options.FewShotCount;
        entries = LimitPerCategory(file.Items, _ => Category, options.Limit)
            .Select(item => (new EvalCase(Category, item.Id,
                new GenerationRequest(FewShotPrompt(() => Gsm8kPrompts.Build(item, pool, k, options.Seed)), DefaultMaxNewTokens, Gsm8kPrompts.StopSequences)), item))
            .ToList();
        notes.Add($"{k}-shot (examples from {options.FewShotFile ?? "the suite file"}, drawn per question with seed {options.Seed})");
    }

    /// <summary>A prompt whose few-shot draw may fail, the failure naming --few-shot.</summary>
    internal static string FewShotPrompt(Func<string> build)
    {
        try
        {
            return build();
        }
        catch (UserError e) when (e.Message.StartsWith("few-shot:", StringComparison.Ordinal))
        {
            throw UserError.InOption("few-shot", e.Message["few-shot:".Length..].Trim() + " (lower --few-shot or give --few-shot-file)");
        }
    }

    public override string Name => SuiteName;
    public override string Source { get; }
    public override IReadOnlyList<string> Notes => notes;
    protected override IReadOnlyList<(EvalCase Case, Gsm8kItem Item)> Entries => entries;
    public override string Headline => "1 when the final answer (after \"####\", else the last number) equals the reference by value";

    protected override ItemOutcome Score(Gsm8kItem item, CaseResponse response)
    {
        string text = response.RequireGenerated().Text;
        string? strict = NumericAnswer.Extract(text, AnswerExtraction.Gsm8kMarker);
        string? flexible = NumericAnswer.Extract(text, AnswerExtraction.Gsm8kMarkerThenLastNumber);
        var metrics = new Dictionary<string, double>
        {
            ["flexible"] = NumericAnswer.Score(text, item.Answer, AnswerExtraction.Gsm8kMarkerThenLastNumber),
            ["strict"] = NumericAnswer.Score(text, item.Answer, AnswerExtraction.Gsm8kMarker),
        };
        var fields = new JsonObject
        {
            ["gold"] = item.Answer,
            ["extracted"] = flexible,
            ["extracted_strict"] = strict,
            ["finish_reason"] = response.RequireGenerated().FinishReason,
        };
        return new ItemOutcome(metrics["flexible"], text, metrics, fields);
    }

    public override IReadOnlyList<MetricEstimate> Summarize(string category, IReadOnlyList<ItemResult> items, BootstrapOptions bootstrap) =>
        new[]
        {
            MeanOf("strict", "exact match of the \"####\" answer only (lm-eval strict-match)", items, bootstrap),
            MeanOf("flexible", "\"####\" answer, else the last number (the score)", items, bootstrap),
        }.OfType<MetricEstimate>().ToList();
}
