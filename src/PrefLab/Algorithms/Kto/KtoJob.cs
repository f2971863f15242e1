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

        var trainSequences = train.Select(e => e.Sequences).ToList();
        var (trainLayout, evalLayout) = ReferenceSplits.Layouts(options.Training, trainSequences, eval.Count);
        var (models, objective) = PreferenceModels.Load(options, plan, run,
            (cache, loadReference, report) => ReferenceSplits.Resolve(cache,
                new ReferenceSplit("train", trainSequences, trainLayout, trainDataset, options.Data),
                evalDataset is null ? null : new ReferenceSplit("eval", eval.Select(e => e.Sequences).ToList(), evalLayout, evalDataset, options.EvalData!),
                options, chat, plan.Folder, loadReference, report, CacheObjective, rowsName: "examples"),
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
}
