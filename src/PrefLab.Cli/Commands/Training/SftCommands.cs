using System.CommandLine;
using PrefLab.Text.Chat;
using PrefLab.Algorithms.Sft;
using PrefLab.Data.Collation;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.Training;

/// <summary><c>preflab pretrain</c> (causal LM on raw text packed into blocks) and <c>preflab sft</c> (loss on
/// assistant tokens of chat-rendered conversations).</summary>
public static class SftCommands
{
    public static Command Pretrain() => Create(LanguageModelingMode.Pretrain, "pretrain",
        "Train a causal language model on raw text ({\"text\"} rows) packed into blocks of --max-length tokens.",
        new TrainerDefaults { Lr = 3e-4, Epochs = 1, BatchSize = 8, MaxLength = 256, WarmupRatio = 0.01, Schedule = LrScheduleKind.Cosine, MinLrRatio = 0.1 });

    /// <summary>Defaults follow Tulu 2's SFT (lr 2e-5, 2 epochs, 3% warm-up, linear decay).</summary>
    public static Command Sft() => Create(LanguageModelingMode.Sft, "sft",
        "Supervised fine-tuning on conversations ({\"messages\"} or prompt/completion rows): loss on assistant tokens only.",
        new TrainerDefaults { Lr = 2e-5, Epochs = 2, BatchSize = 8, MaxLength = 1024, WarmupRatio = 0.03 });

    static Command Create(LanguageModelingMode mode, string name, string description, TrainerDefaults defaults)
    {
        var shared = new TrainerOptionSet(defaults);
        var model = new Option<string>("--model") { Description = "Model folder to start from (Hugging Face layout with tokenizer files; `init-model` makes a random one).", Required = true, HelpName = "DIR" };
        var data = new Option<string>("--data") { Description = "Training data: JSONL (optionally .gz) or Parquet.", Required = true, HelpName = "FILE" };
        var format = new Option<string?>("--format") { Description = "Data format (default: detected from the fields).", HelpName = "NAME" };
        var skipBad = new Option<bool>("--skip-bad-rows") { Description = "Skip malformed rows (counted by reason in run.json) instead of stopping." };
        var command = new Command(name, description) { model, data, format, skipBad };
        Option<string?>? chatFormat = null;
        Option<TruncationPolicy>? truncation = null;
        Option<bool>? pack = null;
        if (mode == LanguageModelingMode.Sft)
        {
            chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The model's"), HelpName = "NAME" };
            truncation = new Option<TruncationPolicy>("--truncation") { Description = "Over-long examples: truncate their tail or drop them (counted either way).", DefaultValueFactory = _ => TruncationPolicy.Truncate, HelpName = "truncate|drop" };
            pack = new Option<bool>("--pack") { Description = "Pack several examples into each row of --max-length tokens (best-fit decreasing); examples never attend to each other and positions restart per example. --batch-size then counts rows." };
            command.Options.Add(chatFormat);
            command.Options.Add(truncation);
            command.Options.Add(pack);
        }
        shared.AddTo(command);
        var lora = new LoraOptionSet();
        if (mode == LanguageModelingMode.Sft) lora.AddTo(command);
        command.SetAction(parse =>
        {
            var result = SftJob.Run(new SftJobOptions
            {
                Mode = mode,
                Model = CommandPaths.ExistingFolder(parse.GetValue(model)!, "model"),
                Data = CommandPaths.ExistingFile(parse.GetValue(data)!, "data"),
                Output = parse.GetValue(shared.Output)!,
                EvalData = parse.GetValue(shared.EvalData)?.FullName,
                Training = shared.Read(parse),
                MaxLength = parse.GetValue(shared.MaxLength),
                Truncation = truncation is null ? TruncationPolicy.Truncate : parse.GetValue(truncation),
                ChatFormat = chatFormat is null ? null : parse.GetValue(chatFormat),
                Pack = pack is not null && parse.GetValue(pack),
                Lora = mode == LanguageModelingMode.Sft ? lora.Read(parse) : null,
                Format = parse.GetValue(format),
                SkipBadRows = parse.GetValue(skipBad),
                RecordedOptions = ResolvedOptions.Of(parse),
                Console = parse.InvocationConfiguration.Error,
            });
            TrainingSummary.Print(parse.InvocationConfiguration.Output, name, parse.GetValue(shared.Output)!, result);
            return CliApp.ExitOk;
        });
        return command;
    }
}
