using System.CommandLine;
using PrefLab.Text.Chat;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Cli.Commands.Training;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.RewardModels;

/// <summary><c>preflab rm train</c>: a scalar-head reward model on preference pairs (Bradley-Terry loss).</summary>
public static class RmTrainCommand
{
    /// <summary>The paper's RM recipe (<see cref="RewardModelJob.PaperTraining"/>): lr 1e-5 linearly to 1e-6, 3% warm-up, one epoch;
    /// batch 8 x 4 accumulation.</summary>
    static readonly TrainerDefaults Defaults = new()
    {
        Lr = RewardModelJob.PaperTraining.Lr, Epochs = RewardModelJob.PaperTraining.Epochs, BatchSize = RewardModelJob.PaperTraining.BatchSize,
        GradAccum = RewardModelJob.PaperTraining.GradAccum, MaxLength = 1024, WarmupRatio = RewardModelJob.PaperTraining.WarmupRatio,
        Schedule = LrScheduleKind.Linear, MinLrRatio = RewardModelJob.PaperTraining.MinLrRatio,
    };

    public static Command Create()
    {
        var shared = new TrainerOptionSet(Defaults);
        var read = new ReadOptionSet();
        var model = new Option<string>("--model") { Description = "Causal LM folder to start from (usually the SFT model: a new score head is drawn), or a reward model folder to continue training.", Required = true, HelpName = "DIR" };
        var data = new Option<string>("--data") { Description = "Preference pairs in any supported format: JSONL (optionally .gz) or Parquet.", Required = true, HelpName = "FILE" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The model's"), HelpName = "NAME" };
        var margin = new Option<bool>("--margin") { Description = "Use each pair's margin m in -log sigmoid(r_c - r_r - m) (Llama 2): m = --margin-scale x the score gap the data carries, in the data's own units (e.g. UltraFeedback's mean-rating gap, SHP's vote difference); 0 for pairs without one." };
        var marginScale = new Option<double>("--margin-scale") { Description = "Multiplies the data's margins (with --margin).", DefaultValueFactory = _ => 1.0, HelpName = "X" };
        var command = new Command("train", "Train a reward model: scalar head on the final (EOS) token, Bradley-Terry loss on chosen/rejected pairs; pairs longer than --max-length are dropped and counted. Defaults follow the paper (lr 1e-5 to 1e-6 linearly, 3% warm-up, one epoch).")
        {
            model, data, chatFormat, margin, marginScale,
        };
        read.AddTo(command);
        shared.AddTo(command);
        command.SetAction(parse =>
        {
            var training = shared.Read(parse);
            string dataFile = CommandPaths.ExistingFile(parse.GetValue(data)!, "data");
            var readOptions = read.Read(parse, training.Seed);
            var evalData = parse.GetValue(shared.EvalData)?.FullName;
            read.CheckBinarizationApplies(parse, evalData is null ? [dataFile] : [dataFile, evalData], readOptions);
            if (parse.GetResult(marginScale) is { Implicit: false } && !parse.GetValue(margin))
                throw Runtime.UserError.InOption("margin-scale", "has no effect without --margin");
            var result = RewardModelJob.Run(new RewardModelJobOptions
            {
                Model = CommandPaths.ExistingFolder(parse.GetValue(model)!, "model"),
                Data = dataFile,
                Output = parse.GetValue(shared.Output)!,
                EvalData = evalData,
                Training = training,
                MaxLength = parse.GetValue(shared.MaxLength),
                UseMargin = parse.GetValue(margin),
                MarginScale = parse.GetValue(marginScale),
                ChatFormat = parse.GetValue(chatFormat),
                Format = readOptions.Format,
                SkipBadRows = readOptions.SkipBadRows,
                Binarize = readOptions.Binarize,
                RecordedOptions = ResolvedOptions.Of(parse),
                Console = parse.InvocationConfiguration.Error,
            });
            TrainingSummary.Print(parse.InvocationConfiguration.Output, "rm train", parse.GetValue(shared.Output)!, result);
            return CliApp.ExitOk;
        });
        return command;
    }
}
