using PrefLab.Data.Collation;
using PrefLab.Models.Lora;
using PrefLab.Runtime.Options;
using PrefLab.Text.Chat;
using PrefLab.Training;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.Sft;

/// <summary><c>preflab pretrain</c> (causal LM on raw text packed into blocks) and <c>preflab sft</c> (loss on
/// assistant tokens of chat-rendered conversations): their options and how they become <see cref="SftJobOptions"/>.</summary>
public sealed class SftCommand : ITrainingCommand
{
    public static readonly SftCommand Pretrain = new(LanguageModelingMode.Pretrain, "pretrain",
        "Train a causal language model on raw text ({\"text\"} rows) packed into blocks of --max-length tokens.",
        new TrainerDefaults { Lr = 3e-4, Epochs = 1, BatchSize = 8, MaxLength = 256, WarmupRatio = 0.01, Schedule = LrScheduleKind.Cosine, MinLrRatio = 0.1 });

    /// <summary>Defaults follow Tulu 2's SFT (lr 2e-5, 2 epochs, 3% warm-up, linear decay).</summary>
    public static readonly SftCommand Sft = new(LanguageModelingMode.Sft, "sft",
        "Supervised fine-tuning on conversations ({\"messages\"} or prompt/completion rows): loss on assistant tokens only.",
        new TrainerDefaults { Lr = 2e-5, Epochs = 2, BatchSize = 8, MaxLength = 1024, WarmupRatio = 0.03 });

    readonly LanguageModelingMode mode;
    public readonly TrainerSpecs Trainer;
    public readonly OptionSpec<string> Model = new("model", "Model folder to start from (Hugging Face layout with tokenizer files; `init-model` makes a random one).") { Required = true, HelpName = "DIR" };
    public readonly OptionSpec<string> Data = new("data", "Training data: JSONL (optionally .gz) or Parquet.") { Required = true, HelpName = "FILE" };
    public readonly OptionSpec<string?> Format = new("format", "Data format (default: detected from the fields).") { HelpName = "NAME" };
    public readonly OptionSpec<bool> SkipBadRows = new("skip-bad-rows", "Skip malformed rows (counted by reason in run.json) instead of stopping.");
    public readonly OptionSpec<string?> ChatFormat = new("chat-format", ChatFormats.OptionHelp("The model's")) { HelpName = "NAME" };
    public readonly OptionSpec<TruncationPolicy> Truncation = new("truncation", "Over-long examples: truncate their tail or drop them (counted either way).") { Default = () => TruncationPolicy.Truncate, HelpName = "truncate|drop" };
    public readonly OptionSpec<bool> Pack = new("pack", "Pack several examples into each row of --max-length tokens (best-fit decreasing); examples never attend to each other and positions restart per example. --batch-size then counts rows.");
    public readonly LoraSpecs Lora = new();

    SftCommand(LanguageModelingMode mode, string name, string description, TrainerDefaults defaults)
    {
        this.mode = mode;
        Name = name;
        Description = description;
        Trainer = new TrainerSpecs(defaults);
    }

    public string Name { get; }
    public string Description { get; }

    bool IsSft => mode == LanguageModelingMode.Sft;

    public IReadOnlyList<OptionSpec> Options =>
        IsSft ? [Model, Data, Format, SkipBadRows, ChatFormat, Truncation, Pack, .. Trainer.All, .. Lora.All]
              : [Model, Data, Format, SkipBadRows, .. Trainer.All];

    public SftJobOptions Bind(OptionValues values, TextWriter console) => new()
    {
        Mode = mode,
        Model = OptionPaths.ExistingFolder(values.Get(Model), "model"),
        Data = OptionPaths.ExistingFile(values.Get(Data), "data"),
        Output = values.Get(Trainer.Output),
        EvalData = Trainer.EvalFile(values),
        Training = Trainer.Read(values, console),
        MaxLength = values.Get(Trainer.MaxLength),
        Truncation = IsSft ? values.Get(Truncation) : TruncationPolicy.Truncate,
        ChatFormat = IsSft ? values.Get(ChatFormat) : null,
        Pack = IsSft && values.Get(Pack),
        Lora = IsSft ? Lora.Read(values) : null,
        Format = values.Get(Format),
        SkipBadRows = values.Get(SkipBadRows),
        RecordedOptions = values.Recorded(),
        Console = console,
    };

    public TrainingResult Run(OptionValues values, TextWriter console) => SftJob.Run(Bind(values, console));
}
