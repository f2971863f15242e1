using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Data.Binarization;
using PrefLab.Data.Collation;
using PrefLab.Data.Formats;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Lora;
using PrefLab.Runtime.Options;
using PrefLab.Text.Chat;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.Dpo;

/// <summary>The options DPO and KTO share (the model and reference, the data and its reading, the loop), and how
/// they fill <see cref="PreferenceJobOptions"/>; each command's help words its own.</summary>
public sealed class PreferenceCommandSpecs
{
    public readonly TrainerSpecs Trainer = new(new TrainerDefaults
    {
        Lr = DpoJob.PaperTraining.Lr, Epochs = DpoJob.PaperTraining.Epochs, BatchSize = DpoJob.PaperTraining.BatchSize,
        GradAccum = DpoJob.PaperTraining.GradAccum, MaxLength = DpoJob.DefaultMaxLength, WarmupRatio = DpoJob.PaperTraining.WarmupRatio,
        Schedule = DpoJob.PaperTraining.Schedule,
    });
    public readonly OptionSpec<string> Model = new("model", "The policy to start from (usually an SFT model), Hugging Face layout with tokenizer files; also the reference unless --ref-model.") { Required = true, HelpName = "DIR" };
    public readonly OptionSpec<string> Data;
    public readonly OptionSpec<string?> RefModel;
    public readonly OptionSpec<string?> RefCache;
    public readonly OptionSpec<string> LogitsChunk;
    public readonly OptionSpec<string?> ChatFormat = new("chat-format", ChatFormats.OptionHelp("The model's")) { HelpName = "NAME" };
    public readonly OptionSpec<TruncationPolicy> Truncation;
    public readonly OptionSpec<string?> Format = new("format", $"Data format (default: detected from the fields): {string.Join(", ", DataFormats.Names)}.") { HelpName = "NAME" };
    public readonly OptionSpec<string?> Binarize = new("binarize", BinarizeOptions.StrategyHelp) { HelpName = "STRATEGY" };
    public readonly OptionSpec<string?> Score = new("score", BinarizeOptions.ScoreHelp) { HelpName = "NAME" };
    public readonly OptionSpec<bool> SkipBadRows = new("skip-bad-rows", "Skip malformed rows (counted by reason in run.json) instead of stopping.");
    public readonly LoraSpecs Lora = new();

    public PreferenceCommandSpecs(string dataHelp, string refModelHelp, string refCacheHelp, string logitsChunkHelp, string truncationHelp)
    {
        Data = new("data", dataHelp) { Required = true, HelpName = "FILE" };
        RefModel = new("ref-model", refModelHelp) { HelpName = "DIR" };
        RefCache = new("ref-cache", refCacheHelp) { HelpName = "DIR|off" };
        LogitsChunk = new("logits-chunk", logitsChunkHelp) { Default = () => "auto", HelpName = "auto|off|on|N" };
        Truncation = new("truncation", truncationHelp) { Default = () => TruncationPolicy.Truncate, HelpName = "truncate|drop" };
    }

    /// <summary>The reference-cache default, for the help texts.</summary>
    public static string DefaultCacheFolder => ReferenceCache.DefaultFolder;

    /// <summary>The command's options: <paramref name="own"/> (the loss's knobs) after the model and data.</summary>
    public IReadOnlyList<OptionSpec> Options(params OptionSpec[] own) =>
        [Model, Data, .. own, RefModel, RefCache, LogitsChunk, ChatFormat, Truncation, Format, Binarize, Score, SkipBadRows, .. Trainer.All, .. Lora.All];

    /// <summary>Fills the shared part of a DPO or KTO options record.</summary>
    public T Bind<T>(T options, OptionValues values, TextWriter console) where T : PreferenceJobOptions
    {
        string? strategy = values.Get(Binarize), scoreName = values.Get(Score);
        BinarizeOptions? binarization = strategy is not null ? BinarizeOptions.FromStrategy(strategy, scoreName)
            : scoreName is not null ? new BinarizeOptions { Score = scoreName } : null;
        string? referenceModel = values.Get(RefModel);
        return options with
        {
            EvalData = Trainer.EvalFile(values),
            Training = Trainer.Read(values, console),
            MaxLength = values.Get(Trainer.MaxLength),
            Truncation = values.Get(Truncation),
            ChatFormat = values.Get(ChatFormat),
            Format = values.Get(Format),
            SkipBadRows = values.Get(SkipBadRows),
            Binarize = binarization,
            ReferenceModel = referenceModel is null ? null : OptionPaths.ExistingFolder(referenceModel, "ref-model"),
            RefCache = values.Get(RefCache),
            LogitsChunk = LogitChunking.Parse(values.Get(LogitsChunk)),
            Lora = Lora.Read(values),
            RecordedOptions = values.Recorded(),
            Console = console,
        };
    }
}
