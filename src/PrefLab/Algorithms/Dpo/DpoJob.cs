using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Data.Binarization;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Models.Config;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.Training;

namespace PrefLab.Algorithms.Dpo;

/// <summary>Everything a DPO-family run needs; the CLI (<c>preflab dpo</c>) and the lab both build one.</summary>
public sealed record DpoJobOptions : PreferenceJobOptions
{
    /// <summary>The loss and its knobs, as given (validated by <see cref="DpoOptions.Validate"/>).</summary>
    public DpoOptions Dpo { get; init; } = new();
}

/// <summary>
/// Runs DPO or a variant (<see cref="DpoLossType"/>). The reference's log-probs are computed once, before
/// training, in one batched pass without gradients, and cached on disk (<see cref="ReferenceCache"/>, key
/// <see cref="ReferenceCacheKey"/>); the reference model is then released, so training holds one model. With
/// the default reference (the starting model) no second model is loaded at all: the policy computes them
/// before its first step. <c>RefCache = "off"</c> keeps a live reference model instead and runs it on every
/// micro-batch. run.json records the data counts (pairs dropped because a completion would be fully
/// truncated, by reason), the loss settings, and where the reference log-probs came from.
/// </summary>
public static class DpoJob
{
    /// <summary>The paper's DPO recipe: lr 5e-7, 10% warm-up then linear decay, 3 epochs, effective batch 32
    /// (8 pairs a forward pass x 4 accumulated), AdamW (0.9, 0.95), no weight decay, clip 1.0.</summary>
    public static readonly TrainingOptions PaperTraining = new()
    {
        Lr = 5e-7, Epochs = 3, BatchSize = 8, GradAccum = 4, WarmupRatio = 0.1, Schedule = LrScheduleKind.Linear,
    };

    public const int DefaultMaxLength = 1024;

    public static TrainingResult Run(DpoJobOptions options)
    {
        TorchRuntime.EnsureLoaded();
        var settings = options.Dpo.Validate();
        options.Training.Validate();
        options.Lora?.Validate();
        if (options.MaxLength < 8) throw UserError.InOption("max-length", $"must be at least 8, not {options.MaxLength}");
        string lossName = DpoLossTypes.Name(settings.Loss);
        var plan = ReferencePlan.Of(options, DpoLossTypes.UsesReference(settings.Loss), "--loss " + lossName);

        var tokenizer = TokenizerLoader.Load(options.Model);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
        var dataReport = new JsonObject();
        var train = Tokenize(options.Data, "train", chat, options, dataReport, out var trainDataset);
        Dataset? evalDataset = null;
        var eval = options.EvalData is null ? new List<TokenizedPair>()
            : Tokenize(options.EvalData, "eval", chat, options, dataReport, out evalDataset);
        if (train.Count == 0)
            throw UserError.InOption("data", $"{options.Data}: no training pairs left after tokenization ({dataReport.ToJsonString()})");

        var run = RunDirectory.Start(options.Output, "dpo", options.RecordedOptions, options.Training.Seed, options.Training.Resume);
        run.Set("data", dataReport);
        run.Set("dpo", new JsonObject
        {
            ["loss"] = lossName, ["beta"] = settings.Beta,
            ["label_smoothing"] = settings.Loss == DpoLossType.Cdpo ? settings.LabelSmoothing : null,
            ["simpo_gamma"] = settings.Loss == DpoLossType.Simpo ? settings.SimpoGamma : null,
            ["logits_chunk"] = options.LogitsChunk.ToString(),
        });

        var (trainLayout, evalLayout) = ReferenceSplits.Layouts(options.Training, train, eval.Count);
        var (models, objective) = PreferenceModels.Load(options, plan, run,
            (cache, loadReference, report) => ReferenceSplits.Resolve(cache,
                new ReferenceSplit("train", train, trainLayout, trainDataset, options.Data),
                evalDataset is null ? null : new ReferenceSplit("eval", eval, evalLayout, evalDataset, options.EvalData!),
                options, chat, plan.Folder, loadReference, report, objective: null, rowsName: "pairs"),
            m => new DpoObjective(m.Policy, settings, train, eval, m.Reference, chat.PadId, evalLayout,
                folder => m.Save(folder, options.Model, tokenizer.PadId), options.LogitsChunk) { Adapters = m.Adapters });
        using (models)
        {
            var logger = new MetricsLogger(run, options.Training.Tensorboard, options.Console);
            return new Trainer(objective, options.Training, run, logger, "dpo") { AfterStep = options.AfterStep }.Run();
        }
    }

    static ReadOptions ReadOptionsOf(DpoJobOptions options) => new()
    {
        Format = options.Format,
        SkipBadRows = options.SkipBadRows,
        Binarize = options.Binarize ?? new BinarizeOptions(),
    };

    static List<TokenizedPair> Tokenize(string path, string split, ChatTokenizer chat, DpoJobOptions options, JsonObject report, out Dataset dataset)
    {
        dataset = DatasetReader.Open(path, ReadOptionsOf(options));
        if (options.Binarize is not null && !dataset.Format.IsMultiResponse)
            throw UserError.InOption("binarize", $"--binarize/--score apply only to multi-response formats (ultrafeedback, nectar, helpsteer); {path} is {dataset.Format.Name}");
        var pairs = dataset.Pairs();
        var collation = new CollationReport();
        var tokenized = new List<TokenizedPair>();
        foreach (var pair in pairs)
            if (chat.Pair(pair, options.MaxLength, options.Truncation, collation) is { } t) tokenized.Add(t);
        report[split] = new JsonObject
        {
            ["file"] = Path.GetFullPath(path),
            ["read"] = pairs.Report.ToJson(),
            ["tokenization"] = collation.ToJson(),
            ["chat_format"] = chat.Format.Name,
            ["max_length"] = options.MaxLength,
            ["truncation"] = options.Truncation.ToString().ToLowerInvariant(),
        };
        return tokenized;
    }

    internal static bool SameFolder(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(b).TrimEnd(Path.DirectorySeparatorChar),
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    // The reference scores the policy's token ids: it must have the same vocabulary.
    internal static void CheckCompatible(string model, string reference)
    {
        var policyConfig = ModelConfigs.Load(model);
        var referenceConfig = ModelConfigs.Load(reference);
        if (policyConfig.VocabSize != referenceConfig.VocabSize)
            throw UserError.InOption("ref-model", $"{reference} has a vocabulary of {referenceConfig.VocabSize} tokens, the policy {model} {policyConfig.VocabSize}: the reference must share the policy's tokenizer");
    }
}
