using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Data.Binarization;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text;
using PrefLab.Text.Chat;
using PrefLab.Training;

namespace PrefLab.Algorithms.Kto;

/// <summary>Everything a KTO run needs; the CLI (<c>preflab kto</c>) and the lab both build one. The data: labelled
/// completions (<c>unpaired</c>: prompt, completion, label) or any preference format.</summary>
public sealed record KtoJobOptions : PreferenceJobOptions
{
    public KtoOptions Kto { get; init; } = new();
}

/// <summary>
/// Runs KTO (<see cref="KtoLosses"/>). Each example is tokenized with its KL sequence (<see cref="KtoData"/>); the
/// reference's log-probs of both are computed once before training and cached exactly as DPO's
/// (<see cref="ReferenceCache"/>, one "pair" per example), the reference then released, so training holds one model.
/// run.json records the data counts (desirable, undesirable, dropped by reason), the settings, TRL's label-balance
/// ratio λ_D n_D / (λ_U n_U) (a warning outside [1, 4/3]) and where the reference log-probs came from.
/// </summary>
public static class KtoJob
{
    /// <summary>The reference cache's name for what KTO's "pairs" hold (enters the cache key).</summary>
    public const string CacheObjective = "kto: example and KL sequence";

    public static TrainingResult Run(KtoJobOptions options)
    {
        TorchRuntime.EnsureLoaded();
        var settings = options.Kto.Validate();
        options.Training.Validate();
        options.Lora?.Validate();
        if (options.MaxLength < 8) throw UserError.InOption("max-length", $"must be at least 8, not {options.MaxLength}");
        if (options.Training.BatchSize < 2)
            throw UserError.InOption("batch-size", $"must be at least 2 for KTO, not {options.Training.BatchSize}: its reference point z0 is estimated from mismatched pairs within each micro-batch (TRL refuses 1 too)");
        var plan = ReferencePlan.Of(options, uses: true, "kto");

        var tokenizer = TokenizerLoader.Load(options.Model);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
        var dataReport = new JsonObject();
        var train = Tokenize(options.Data, "train", chat, options, dataReport, out var trainDataset);
        Dataset? evalDataset = null;
        var eval = options.EvalData is null ? new List<KtoExample>()
            : Tokenize(options.EvalData, "eval", chat, options, dataReport, out evalDataset);
        if (train.Count == 0)
            throw UserError.InOption("data", $"{options.Data}: no training examples left after tokenization ({dataReport.ToJsonString()})");

        long desirable = train.Count(e => e.Desirable), undesirable = train.Count - desirable;
        double ratio = settings.WeightedRatio(desirable, undesirable);
        var run = RunDirectory.Start(options.Output, "kto", options.RecordedOptions, options.Training.Seed, options.Training.Resume);
        run.Set("data", dataReport);
        run.Set("kto", new JsonObject
        {
            ["beta"] = settings.Beta, ["desirable_weight"] = settings.DesirableWeight, ["undesirable_weight"] = settings.UndesirableWeight,
            ["desirable"] = desirable, ["undesirable"] = undesirable,
            ["weighted_ratio"] = double.IsFinite(ratio) ? ratio : null,
            ["kl_pairing"] = $"completions rotated within chunks of {options.Training.BatchSize} (the micro-batch), file order",
            ["logits_chunk"] = options.LogitsChunk.ToString(),
        });
        if (!(ratio >= 1.0 && ratio <= 4.0 / 3.0))
            (options.Console ?? System.Console.Error).WriteLine(
                $"warning: desirable-weight x desirable / (undesirable-weight x undesirable) = {settings.DesirableWeight.ToString(CultureInfo.InvariantCulture)} x {desirable} / " +
                $"({settings.UndesirableWeight.ToString(CultureInfo.InvariantCulture)} x {undesirable}) = {(double.IsFinite(ratio) ? ratio.ToString("0.###", CultureInfo.InvariantCulture) : "inf")}; " +
                "the KTO paper recommends [1, 4/3]: adjust --desirable-weight or --undesirable-weight");

        var t = options.Training;
        var trainLayout = PairLayout.FirstEpoch(new BatchPlan(train.Count, t.BatchSize, t.GradAccum, t.Seed,
            t.BucketByLength ? i => train[i].Length : null));
        var evalLayout = PairLayout.Sequential(eval.Count, t.BatchSize);

        var (models, objective) = PreferenceModels.Load(options, plan, run,
            (cache, loadReference, report) =>
            {
                var trainValues = Resolve(cache, "train", train, trainLayout, trainDataset, options.Data, chat, options, plan.Folder, loadReference, report);
                ReferenceLogProbs? evalValues = null;
                if (eval.Count > 0)
                    evalValues = Resolve(cache, "eval", eval, evalLayout, evalDataset!, options.EvalData!, chat, options, plan.Folder, loadReference, report);
                return new PrecomputedReference(trainValues, evalValues);
            },
            m => new KtoObjective(m.Policy, settings, train, eval, m.Reference!, chat.PadId, evalLayout,
                folder => m.Save(folder, options.Model, tokenizer.PadId), options.LogitsChunk) { Adapters = m.Adapters });
        using (models)
        {
            var logger = new MetricsLogger(run, options.Training.Tensorboard, options.Console);
            return new Trainer(objective, options.Training, run, logger, "kto") { AfterStep = options.AfterStep }.Run();
        }
    }

    static List<KtoExample> Tokenize(string path, string split, ChatTokenizer chat, KtoJobOptions options, JsonObject report, out Dataset dataset)
    {
        dataset = DatasetReader.Open(path, new ReadOptions
        {
            Format = options.Format, SkipBadRows = options.SkipBadRows, Binarize = options.Binarize ?? new BinarizeOptions(),
        });
        if (options.Binarize is not null && !dataset.Format.IsMultiResponse)
            throw UserError.InOption("binarize", $"--binarize/--score apply only to multi-response formats (ultrafeedback, nectar, helpsteer); {path} is {dataset.Format.Name}");
        var stream = dataset.Unpaired();
        var examples = stream.ToList();
        var collation = new CollationReport();
        var tokenized = KtoData.Tokenize(examples, chat, options.MaxLength, options.Truncation, options.Training.BatchSize, collation);
        report[split] = new JsonObject
        {
            ["file"] = Path.GetFullPath(path),
            ["read"] = stream.Report.ToJson(),
            ["tokenization"] = collation.ToJson(),
            ["desirable"] = tokenized.Count(e => e.Desirable),
            ["undesirable"] = tokenized.Count(e => !e.Desirable),
            ["chat_format"] = chat.Format.Name,
            ["max_length"] = options.MaxLength,
            ["truncation"] = options.Truncation.ToString().ToLowerInvariant(),
        };
        return tokenized;
    }

    static ReferenceLogProbs Resolve(ReferenceCache cache, string split, List<KtoExample> examples, PairLayout layout, Dataset dataset,
        string dataFile, ChatTokenizer chat, KtoJobOptions options, string referenceDir, Func<CausalLM> loadReference, JsonObject report)
    {
        var clock = Stopwatch.StartNew();
        var sequences = examples.Select(e => e.Sequences).ToList();
        var key = ReferenceCacheKey.Of(new ReferenceInputs
        {
            ReferenceModel = referenceDir, DataFile = dataFile, Format = dataset.Format.Name, Binarization = dataset.Binarization,
            SkipBadRows = options.SkipBadRows, ChatFormat = chat.Format.Name, MaxLength = options.MaxLength,
            Truncation = options.Truncation, Pairs = sequences, Layout = layout, Objective = CacheObjective,
        });
        var result = cache.GetOrCompute(key, sequences, () =>
            ReferencePass.Compute(loadReference(), sequences, layout, chat.PadId, $"reference log-probs ({split})", options.LogitsChunk));
        report[split] = new JsonObject
        {
            ["source"] = result.Source switch
            {
                ReferenceSource.CacheHit => "cache",
                ReferenceSource.Computed => "computed",
                _ => "recomputed",
            },
            ["file"] = result.File,
            ["key"] = key.Hex,
            ["problem"] = result.Problem,
            ["examples"] = examples.Count,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
        };
        return result.Values;
    }
}
