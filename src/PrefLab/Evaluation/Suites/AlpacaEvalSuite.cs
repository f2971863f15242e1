using System.Text.Json.Nodes;
using PrefLab.Evaluation.Benchmarks;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Scorers;
using PrefLab.Runtime;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Suites;

/// <summary>
/// AlpacaEval-style pairwise comparison (category "alpaca_eval"): each instruction is sent as a user message (or raw
/// text), the response generated, and the judge scores it and the file's baseline <c>output</c> for the same
/// instruction. The item's score is the preference: 1 when the model's response scores higher, 0 when lower, 0.5 on
/// an exact tie; the category mean is the raw win rate. The length-controlled win rate (the AlpacaEval-LC idea,
/// <see cref="WinRate.LengthControlled"/>: logistic regression of the preference on tanh of the standardised length
/// difference in characters, reported at zero difference with its Wald interval) is reported beside it, and with a
/// reward-model judge the mean Bradley-Terry probability sigmoid(r_model - r_baseline).
/// </summary>
public sealed class AlpacaEvalSuite : EvaluationSuite
{
    public const string SuiteName = "alpaca_eval";
    public const string Category = "alpaca_eval";
    public const int DefaultMaxNewTokens = 512;

    readonly List<AlpacaEvalItem> items;
    readonly List<EvalCase> cases;
    readonly IResponseJudge judge;

    public AlpacaEvalSuite(string path, EvaluationOptions options, IResponseJudge judge)
    {
        Source = path;
        var file = AlpacaEvalReader.Read(path);
        if (file.Items.Count == 0) throw new UserError($"{path}: holds no instructions");
        AlpacaEvalReader.RequireOutputs(file);
        this.judge = judge;
        items = LimitPerCategory(file.Items, _ => Category, options.Limit);
        cases = items.Select(item => new EvalCase(Category, item.Id, new GenerationRequest(item.Instruction, DefaultMaxNewTokens, []))).ToList();
    }

    public override string Name => SuiteName;
    public override string Source { get; }
    public override IReadOnlyList<EvalCase> Cases => cases;
    public override IReadOnlyList<string> Notes => [$"judge: {judge.Description}; baseline: the file's 'output'"];
    public override string Headline => "preference over the file's baseline output by the judge: 1 win, 0.5 tie, 0 loss (mean: raw win rate)";

    public override IReadOnlyList<ItemOutcome> Score(IReadOnlyList<CaseResponse> responses)
    {
        if (responses.Count != items.Count) throw new ArgumentException($"expected {items.Count} responses, got {responses.Count}", nameof(responses));
        var texts = responses.Select(r => r.RequireGenerated().Text).ToList();
        var modelScores = judge.Score(items.Select((item, i) => (item.Instruction, texts[i])).ToList());
        var baselineScores = judge.Score(items.Select(item => (item.Instruction, item.Output!)).ToList());
        var outcomes = new List<ItemOutcome>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            double preference = WinRate.PreferenceFromScores(modelScores[i], baselineScores[i]);
            double lengthDifference = texts[i].Length - items[i].Output!.Length;
            var metrics = new Dictionary<string, double> { ["preference"] = preference, ["length_difference"] = lengthDifference };
            if (judge.IsRewardModel) metrics["bradley_terry"] = WinRate.BradleyTerryPreference(modelScores[i], baselineScores[i]);
            var fields = new JsonObject
            {
                ["judge_score"] = modelScores[i],
                ["baseline_score"] = baselineScores[i],
                ["baseline"] = items[i].Output,
                ["baseline_generator"] = items[i].Generator,
                ["length_difference"] = lengthDifference,
                ["finish_reason"] = responses[i].RequireGenerated().FinishReason,
            };
            outcomes.Add(new ItemOutcome(preference, texts[i], metrics, fields));
        }
        return outcomes;
    }

    public override IReadOnlyList<MetricEstimate> Summarize(string category, IReadOnlyList<ItemResult> items, BootstrapOptions bootstrap)
    {
        var preferences = items.Select(i => i.Metrics["preference"]).ToList();
        var lc = WinRate.LengthControlled(preferences, items.Select(i => i.Metrics["length_difference"]).ToList(),
            LengthControlOptions.Default with { Confidence = bootstrap.Confidence });
        var estimates = new List<MetricEstimate?>
        {
            new("win_rate", "raw win rate (the score)", WinRate.RawWithInterval(preferences, bootstrap)),
            new("lc_win_rate", FormattableString.Invariant($"length-controlled win rate (at equal length; Wald interval; length slope {lc.Slope:+0.###;-0.###;0})"),
                new Estimate(lc.WinRate, lc.Lower, lc.Upper, lc.N)),
            MeanOf("bradley_terry", "mean Bradley-Terry probability sigmoid(r_model - r_baseline)", items, bootstrap),
        };
        return estimates.OfType<MetricEstimate>().ToList();
    }

    public override void Dispose()
    {
        judge.Dispose();
        base.Dispose();
    }
}
