using PrefLab.Data.Reading;
using PrefLab.Runtime;
using PrefLab.Runtime.Options;
using PrefLab.Text.Chat;
using PrefLab.Training;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.RewardModeling;

/// <summary><c>preflab rm train</c>: a scalar-head reward model on preference pairs (Bradley-Terry loss).</summary>
public sealed class RewardModelCommand : ITrainingCommand
{
    public static readonly RewardModelCommand Instance = new();

    /// <summary>The paper's RM recipe (<see cref="RewardModelJob.PaperTraining"/>): lr 1e-5 linearly to 1e-6, 3% warm-up, one epoch;
    /// batch 8 x 4 accumulation.</summary>
    public readonly TrainerSpecs Trainer = new(new TrainerDefaults
    {
        Lr = RewardModelJob.PaperTraining.Lr, Epochs = RewardModelJob.PaperTraining.Epochs, BatchSize = RewardModelJob.PaperTraining.BatchSize,
        GradAccum = RewardModelJob.PaperTraining.GradAccum, MaxLength = 1024, WarmupRatio = RewardModelJob.PaperTraining.WarmupRatio,
        Schedule = LrScheduleKind.Linear, MinLrRatio = RewardModelJob.PaperTraining.MinLrRatio,
    });
    public readonly ReadSpecs Read = new();
    public readonly OptionSpec<string> Model = new("model", "Causal LM folder to start from (usually the SFT model: a new score head is drawn), or a reward model folder to continue training.") { Required = true, HelpName = "DIR" };
    public readonly OptionSpec<string> Data = new("data", "Preference pairs in any supported format: JSONL (optionally .gz) or Parquet.") { Required = true, HelpName = "FILE" };
    public readonly OptionSpec<string?> ChatFormat = new("chat-format", ChatFormats.OptionHelp("The model's")) { HelpName = "NAME" };
    public readonly OptionSpec<bool> Margin = new("margin", "Use each pair's margin m in -log sigmoid(r_c - r_r - m) (Llama 2): m = --margin-scale x the score gap the data carries, in the data's own units (e.g. UltraFeedback's mean-rating gap, SHP's vote difference); 0 for pairs without one.");
    public readonly OptionSpec<double> MarginScale = new("margin-scale", "Multiplies the data's margins (with --margin).") { Default = () => 1.0, HelpName = "X" };

    RewardModelCommand() { }

    public string Name => "rm train";
    public string Description => "Train a reward model: scalar head on the final (EOS) token, Bradley-Terry loss on chosen/rejected pairs; pairs longer than --max-length are dropped and counted. Defaults follow the paper (lr 1e-5 to 1e-6 linearly, 3% warm-up, one epoch).";
    public IReadOnlyList<OptionSpec> Options => [Model, Data, ChatFormat, Margin, MarginScale, .. Read.All, .. Trainer.All];

    public RewardModelJobOptions Bind(OptionValues values, TextWriter console)
    {
        var training = Trainer.Read(values, console);
        string dataFile = OptionPaths.ExistingFile(values.Get(Data), "data");
        var readOptions = Read.Read(values, training.Seed);
        var evalData = Trainer.EvalFile(values);
        Read.CheckBinarizationApplies(values, evalData is null ? [dataFile] : [dataFile, evalData], readOptions);
        if (values.IsGiven(MarginScale) && !values.Get(Margin))
            throw UserError.InOption("margin-scale", "has no effect without --margin");
        return new RewardModelJobOptions
        {
            Model = OptionPaths.ExistingFolder(values.Get(Model), "model"),
            Data = dataFile,
            Output = values.Get(Trainer.Output),
            EvalData = evalData,
            Training = training,
            MaxLength = values.Get(Trainer.MaxLength),
            UseMargin = values.Get(Margin),
            MarginScale = values.Get(MarginScale),
            ChatFormat = values.Get(ChatFormat),
            Format = readOptions.Format,
            SkipBadRows = readOptions.SkipBadRows,
            Binarize = readOptions.Binarize,
            RecordedOptions = values.Recorded(),
            Console = console,
        };
    }

    public TrainingResult Run(OptionValues values, TextWriter console) => RewardModelJob.Run(Bind(values, console));
}
