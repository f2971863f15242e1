using PrefLab.Evaluation.Caching;
using PrefLab.Evaluation.Reporting;
using PrefLab.Evaluation.Scorers;
using PrefLab.Evaluation.Suites;
using PrefLab.Runtime.Console;

namespace PrefLab.Evaluation.Harness;

/// <summary>
/// The evaluation harness: opens the suites, then for each model in turn loads it, answers every case (generations
/// through the cache, option log-likelihoods by forward passes), scores the answers with the suites' scorers, and
/// finally summarises all models with bootstrap intervals and paired deltas against the first. Used by
/// <c>preflab eval</c> and by the experiment lab (one model, its items' (category, id, score) triples).
/// </summary>
public static class Evaluator
{
    public static EvaluationResult Run(EvaluationOptions options)
    {
        options.Validate();
        var suites = SuiteCatalog.Open(options);
        try
        {
            var cache = options.CacheDirectory is null ? null : GenerationCache.Open(options.CacheDirectory);
            var labels = Labels(options);
            var models = new List<ModelEvaluation>(options.Models.Count);
            for (int m = 0; m < options.Models.Count; m++)
                models.Add(EvaluateModel(options.Models[m], labels[m], suites, options, cache));
            var summary = ScoreSummaries.Build(suites, models, options.Bootstrap);
            var runs = suites.Select(s => new SuiteRun(s.Name, s.Source, s.Headline, s.Categories, s.Notes)).ToList();
            return new EvaluationResult(options, runs, models, summary);
        }
        finally
        {
            foreach (var suite in suites) suite.Dispose();
        }
    }

    /// <summary>Labels for the models: the given ones, else folder names, repeated names numbered (#2, #3, ...).</summary>
    public static IReadOnlyList<string> Labels(EvaluationOptions options)
    {
        var names = options.Labels ?? options.Models.Select(m => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(m)))).ToList();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var labels = new List<string>(names.Count);
        foreach (string name in names)
        {
            int count = seen[name] = seen.GetValueOrDefault(name) + 1;
            labels.Add(count == 1 ? name : $"{name}#{count}");
        }
        return labels;
    }

    static ModelEvaluation EvaluateModel(string folder, string label, IReadOnlyList<EvaluationSuite> suites, EvaluationOptions options,
        GenerationCache? cache)
    {
        string fingerprint = ModelFingerprint.Of(folder, cache?.FileHashes);
        using var session = ModelSession.Open(folder, options);
        var responses = suites.Select(s => new CaseResponse?[s.Cases.Count]).ToArray();
        int total = suites.Sum(s => s.Cases.Count);
        using var progress = options.ShowProgress ? ProgressReporter.Start($"eval {label}", total, "item") : new NoProgress();

        var generation = new CachedGeneration(cache, fingerprint,
            () => options.GeneratorFactory?.Invoke(session.Model, session.Tokenizer) ?? ModelResponseGenerator.Create(session.Model, session.Tokenizer));
        var generationCases = Enumerate(suites)
            .Where(c => c.Case.Request is GenerationRequest)
            .GroupBy(c =>
            {
                var request = (GenerationRequest)c.Case.Request;
                return (options.MaxNewTokens ?? request.MaxNewTokens, string.Join('\0', request.StopStrings));
            });
        foreach (var group in generationCases)
        {
            var request = (GenerationRequest)group.First().Case.Request;
            var decoding = options.DecodingFor(request.MaxNewTokens, request.StopStrings);
            var prompts = group.Select(c => new GenerationPrompt(c.Case.Request.Prompt, session.PromptIds(c.Case.Request.Prompt))).ToList();
            progress.SetStatus("generating");
            var generated = generation.Generate(prompts, decoding, done => progress.Advance(done));
            int k = 0;
            foreach (var (suite, index, _) in group) responses[suite][index] = CaseResponse.Of(generated[k++]);
        }

        progress.SetStatus("scoring options");
        foreach (var chunk in Enumerate(suites).Where(c => c.Case.Request is ChoiceRequest).Chunk(CachedGeneration.ChunkSize))
        {
            var sequences = chunk.Select(c => session.ChoiceSequences((ChoiceRequest)c.Case.Request)).ToList();
            var sums = SequenceLikelihood.Score(session.Model, sequences.SelectMany(s => s).ToList(), options.BatchSize, PadId(session));
            int at = 0;
            for (int i = 0; i < chunk.Length; i++)
            {
                var choices = ((ChoiceRequest)chunk[i].Case.Request).Options;
                var likelihoods = sequences[i].Select((s, j) => new ChoiceLikelihood(sums[at + j], s.ScoredCount, ChoiceOutcomes.CharCount(choices[j]))).ToList();
                at += sequences[i].Count;
                responses[chunk[i].Suite][chunk[i].Index] = CaseResponse.Of(likelihoods);
            }
            progress.Advance(chunk.Length);
        }

        var items = new List<ItemResult>(total);
        for (int s = 0; s < suites.Count; s++)
        {
            var outcomes = suites[s].Score(responses[s].Select(r => r!).ToList());
            for (int i = 0; i < outcomes.Count; i++)
            {
                var evalCase = suites[s].Cases[i];
                var outcome = outcomes[i];
                if (!double.IsFinite(outcome.Score))
                    throw new InvalidOperationException($"{suites[s].Name} scored item {evalCase.Category}/{evalCase.ItemId} {outcome.Score}");
                items.Add(new ItemResult(suites[s].Name, evalCase.Category, evalCase.ItemId, evalCase.Request.Prompt, outcome.Response,
                    outcome.Score, outcome.Metrics, outcome.Fields));
            }
        }
        return new ModelEvaluation(label, Path.GetFullPath(folder), fingerprint, items,
            new GenerationCounts(generation.Requested, generation.FromCache, generation.Generated));
    }

    static int PadId(ModelSession session) => session.Tokenizer.PadId ?? session.Tokenizer.EosId ?? 0;

    static IEnumerable<(int Suite, int Index, EvalCase Case)> Enumerate(IReadOnlyList<EvaluationSuite> suites)
    {
        for (int s = 0; s < suites.Count; s++)
            for (int i = 0; i < suites[s].Cases.Count; i++)
                yield return (s, i, suites[s].Cases[i]);
    }

    sealed class NoProgress : IProgressTask
    {
        public void Advance(long amount = 1) { }
        public void SetPosition(long position) { }
        public void SetStatus(string status) { }
        public void Dispose() { }
    }
}
