using System.Diagnostics;
using PrefLab.Runtime;
using PrefLab.World.Datasets;
using PrefLab.World.Language;
using PrefLab.World.Scoring;

namespace PrefLab.World;

/// <summary>What a generation wrote (for the CLI's summary).</summary>
public sealed record GeneratedWorld(string Directory, long Seed, WorldScale Scale, int VocabularySize,
    IReadOnlyList<FileReport> Files, TimeSpan Elapsed);

/// <summary>
/// Generates a Preference World folder: plan (knowledge base, eval items, every file's prompts), emit each file
/// from its own random streams, check every text against the vocabulary and every training text against the
/// eval prompts, then write the folder atomically (a temporary folder renamed into place). The same seed and
/// scale give the same bytes.
/// </summary>
public static class WorldGenerator
{
    /// <summary>Bumped whenever the same seed would give a different world; world.json records it.</summary>
    /// 2: pretrain-heldout.jsonl (every other file as in version 1). 3: sft.jsonl from the demonstrator with
    /// learnable habits (<see cref="Responders.ResponderProfile.Demonstrator"/>; every other file as in version 2).
    public const int Version = 3;

    public static GeneratedWorld Generate(string outputDirectory, long seed, WorldScale scale)
    {
        var clock = Stopwatch.StartNew();
        var plan = WorldPlan.Create(seed, scale);
        var judge = new GoldJudge(plan.Knowledge, plan.AllTasks);
        var context = new EmitContext(plan, judge);

        var files = new List<EmittedFile>
        {
            PretrainCorpus.Build(context, plan.Size.PretrainDocuments),
            PretrainCorpus.BuildHeldOut(context, plan.Size.PretrainDocuments),
            TaskFiles.Sft(context),
            PairwiseDatasets.Hh(context),
            PairwiseDatasets.Shp(context),
            RatedDatasets.UltraFeedback(context),
            RatedDatasets.Nectar(context),
            RatedDatasets.HelpSteer(context),
            PairwiseDatasets.Arena(context),
            PairwiseDatasets.Pairwise(context),
            TaskFiles.Prompts(context, DatasetCatalog.MixedPrompts),
            TaskFiles.Prompts(context, DatasetCatalog.ReasoningPrompts),
            TaskFiles.Prompts(context, DatasetCatalog.SafetyPrompts),
        };
        foreach (string category in WorldCategories.All) files.Add(TaskFiles.Eval(context, category));

        CheckVocabulary(context.TrainingTexts.Concat(context.EvalTexts));
        CheckNoLeak(plan.Eval.Values.SelectMany(items => items.Select(i => i.Task.Prompt)), context.TrainingTexts);

        byte[] manifest = WorldManifest.Build(plan, files);
        AtomicFile.WriteDirectory(outputDirectory, folder =>
        {
            foreach (var file in files) AtomicFile.WriteAllBytes(Path.Combine(folder, file.RelativePath), file.Bytes);
            TokenizerFiles.Write(Path.Combine(folder, "tokenizer"), Vocabulary.Standard);
            AtomicFile.WriteAllBytes(Path.Combine(folder, WorldManifest.FileName), manifest);
        });
        return new GeneratedWorld(Path.GetFullPath(outputDirectory), seed, scale, Vocabulary.Standard.Count,
            files.Select(f => f.Report).ToList(), clock.Elapsed);
    }

    /// <summary>Throws, naming the words, if any text has a token outside the vocabulary.</summary>
    public static void CheckVocabulary(IEnumerable<string> texts)
    {
        var vocabulary = Vocabulary.Standard;
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string text in texts)
            foreach (string token in WorldText.Tokens(text))
                if (!vocabulary.Contains(token)) missing.Add(token);
        if (missing.Count > 0)
            throw new InvalidOperationException("words missing from the World's lexicon: " + string.Join(' ', missing));
    }

    /// <summary>Throws if an eval prompt occurs, token for token, anywhere inside a training text.</summary>
    public static void CheckNoLeak(IEnumerable<string> evalPrompts, IEnumerable<string> trainingTexts)
    {
        var index = new PromptIndex(evalPrompts);
        foreach (string text in trainingTexts)
            if (index.FindIn(text) is string prompt)
                throw new InvalidOperationException($"eval prompt '{prompt}' occurs in the training text '{text}'");
    }
}
