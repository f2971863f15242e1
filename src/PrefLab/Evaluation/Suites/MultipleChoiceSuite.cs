using System.Text.Json.Nodes;
using PrefLab.Evaluation.Benchmarks;
using PrefLab.Evaluation.Harness;
using PrefLab.Evaluation.Scorers;
using PrefLab.Runtime;
using PrefLab.Statistics;

namespace PrefLab.Evaluation.Suites;

/// <summary>
/// MMLU-style multiple choice, JSONL or CSV (category: the item's subject, else the file's name). The prompt is
/// MMLU's ("The following are multiple choice questions (with answers) about {subject}.", k solved examples of the
/// same subject, then the question with its options "A. ...", ... and "Answer:"; <see cref="MultipleChoicePrompts"/>),
/// sent as a user message (or raw text). The model answers by log-likelihood of each option's continuation
/// (<see cref="ChoiceStyle.Continuation"/>): the letters " A", " B", ... (default; MMLU's protocol) or " " + the
/// option's text. The item scores 1 when the option picked is right: by summed log-likelihood for letters, per
/// character (lm-eval's acc_norm) for texts, unless <c>--mc-normalization</c> says otherwise; all three picks are
/// reported.
/// </summary>
public sealed class MultipleChoiceSuite : PerItemSuite<MultipleChoiceItem>
{
    public const string SuiteName = "mmlu";

    readonly List<(EvalCase Case, MultipleChoiceItem Item)> entries;
    readonly ChoiceNormalization normalization;
    readonly ChoiceScoring scoring;
    readonly List<string> notes = [];

    public MultipleChoiceSuite(string path, EvaluationOptions options)
    {
        Source = path;
        var file = MultipleChoiceReader.Read(path);
        if (file.Items.Count == 0) throw new UserError($"{path}: holds no questions");
        scoring = options.ChoiceScoring;
        normalization = options.Normalization ?? (scoring == ChoiceScoring.Letters ? ChoiceNormalization.None : ChoiceNormalization.PerCharacter);
        var pool = options.FewShotFile is string shots ? MultipleChoiceReader.Read(shots).Items : file.Items;
        int k = options.FewShotCount;
        string fallback = System.IO.Path.GetFileNameWithoutExtension(path);
        entries = LimitPerCategory(file.Items, item => CategoryOf(item, fallback), options.Limit).Select(item =>
        {
            var sameSubject = item.Subject is null ? pool : pool.Where(p => p.Subject == item.Subject).ToList();
            string prompt = Gsm8kSuite.FewShotPrompt(() => MultipleChoicePrompts.Build(item, sameSubject, k, options.Seed));
            var continuations = scoring == ChoiceScoring.Letters
                ? MultipleChoicePrompts.LetterContinuations(item)
                : MultipleChoicePrompts.TextContinuations(item);
            return (new EvalCase(CategoryOf(item, fallback), item.Id, new ChoiceRequest(prompt, continuations, ChoiceStyle.Continuation)), item);
        }).ToList();
        notes.Add($"{k}-shot (same-subject examples from {options.FewShotFile ?? "the suite file"}, drawn per question with seed {options.Seed}); " +
            $"options scored as {(scoring == ChoiceScoring.Letters ? "letters" : "texts")}");
    }

    static string CategoryOf(MultipleChoiceItem item, string fallback) => item.Subject?.Trim() is { Length: > 0 } subject ? subject : fallback;

    public override string Name => SuiteName;
    public override string Source { get; }
    public override IReadOnlyList<string> Notes => notes;
    protected override IReadOnlyList<(EvalCase Case, MultipleChoiceItem Item)> Entries => entries;

    public override string Headline =>
        $"1 when the {(scoring == ChoiceScoring.Letters ? "letter" : "option text")} with the highest {ChoiceOutcomes.Describe(normalization)} is the answer";

    protected override ItemOutcome Score(MultipleChoiceItem item, CaseResponse response)
    {
        var likelihoods = response.RequireChoices();
        var outcome = ChoiceOutcomes.Score(item.Choices, likelihoods, item.Answer, normalization, new JsonObject { ["subject"] = item.Subject });
        int picked = MultipleChoice.Pick(likelihoods, normalization);
        return outcome with { Response = $"{MultipleChoicePrompts.Letter(picked)}. {item.Choices[picked]}" };
    }

    public override IReadOnlyList<MetricEstimate> Summarize(string category, IReadOnlyList<ItemResult> items, BootstrapOptions bootstrap) =>
        ChoiceOutcomes.Summaries(items, bootstrap).ToList();
}
