using System.CommandLine;
using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Algorithms.Kto;
using PrefLab.Data.Binarization;
using PrefLab.Data.Collation;
using PrefLab.Data.Formats;
using PrefLab.Models.LogProbs;
using PrefLab.Text.Chat;

namespace PrefLab.Cli.Commands.Training;

/// <summary><c>preflab kto</c>: KTO (Ethayarajh et al. 2024) from labelled completions (TRL's unpaired format) or
/// from preference pairs split into a desirable and an undesirable example, with DPO's cached reference log-probs.
/// Defaults: TRL's KTO (beta 0.1, both weights 1.0) on DPO's training recipe (lr 5e-7, 10% warm-up then linear
/// decay, 3 epochs, effective batch 32 = 8 x 4 accumulated).</summary>
public static class KtoCommand
{
    public static Command Create()
    {
        var defaults = DpoJob.PaperTraining;
        var shared = new TrainerOptionSet(new TrainerDefaults
        {
            Lr = defaults.Lr, Epochs = defaults.Epochs, BatchSize = defaults.BatchSize, GradAccum = defaults.GradAccum,
            MaxLength = DpoJob.DefaultMaxLength, WarmupRatio = defaults.WarmupRatio, Schedule = defaults.Schedule,
        });
        var model = new Option<string>("--model") { Description = "The policy to start from (usually an SFT model), Hugging Face layout with tokenizer files; also the reference unless --ref-model.", Required = true, HelpName = "DIR" };
        var data = new Option<string>("--data") { Description = "Labelled completions (format unpaired: prompt, completion, label true/false) or preference pairs in any pair format (each pair gives its chosen as desirable and its rejected as undesirable); JSONL (optionally .gz) or Parquet.", Required = true, HelpName = "FILE" };
        var beta = new Option<double?>("--beta") { Description = $"Strength of the implicit KL constraint (default {KtoOptions.DefaultBeta}).", HelpName = "B" };
        var desirableWeight = new Option<double?>("--desirable-weight") { Description = $"λ_D, the weight of a desirable example's loss (default {KtoOptions.DefaultWeight}).", HelpName = "W" };
        var undesirableWeight = new Option<double?>("--undesirable-weight") { Description = $"λ_U, the weight of an undesirable example's loss (default {KtoOptions.DefaultWeight}); keep λ_D n_D / (λ_U n_U) in [1, 4/3].", HelpName = "W" };
        var refModel = new Option<string?>("--ref-model") { Description = "Reference model folder (default: --model); must share its tokenizer.", HelpName = "DIR" };
        var refCache = new Option<string?>("--ref-cache")
        {
            Description = $"Folder caching reference log-probs, computed once before training (default: {ReferenceCache.DefaultFolder}); 'off' keeps a live reference model and runs it on every batch.",
            HelpName = "DIR|off",
        };
        var logitsChunk = new Option<string>("--logits-chunk") { Description = "How log-probs reach the vocabulary: auto (in chunks of positions when a batch's logits would exceed 64 Mi values), off, on, or N positions per chunk.", DefaultValueFactory = _ => "auto", HelpName = "auto|off|on|N" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The model's"), HelpName = "NAME" };
        var truncation = new Option<TruncationPolicy>("--truncation") { Description = "Over-long examples: truncate the completion's tail (the prompt stays whole; examples with nothing left are dropped) or drop them; counted either way.", DefaultValueFactory = _ => TruncationPolicy.Truncate, HelpName = "truncate|drop" };
        var format = new Option<string?>("--format") { Description = $"Data format (default: detected from the fields): {string.Join(", ", DataFormats.Names)}.", HelpName = "NAME" };
        var binarize = new Option<string?>("--binarize") { Description = BinarizeOptions.StrategyHelp, HelpName = "STRATEGY" };
        var score = new Option<string?>("--score") { Description = BinarizeOptions.ScoreHelp, HelpName = "NAME" };
        var skipBad = new Option<bool>("--skip-bad-rows") { Description = "Skip malformed rows (counted by reason in run.json) instead of stopping." };

        var command = new Command("kto", "Kahneman-Tversky optimisation (KTO) from desirable/undesirable completions or preference pairs; loss on the final assistant turn.")
        {
            model, data, beta, desirableWeight, undesirableWeight, refModel, refCache, logitsChunk, chatFormat, truncation, format, binarize, score, skipBad,
        };
        shared.AddTo(command);
        var lora = new LoraOptionSet();
        lora.AddTo(command);
        command.SetAction(parse =>
        {
            string? strategy = parse.GetValue(binarize), scoreName = parse.GetValue(score);
            BinarizeOptions? binarization = strategy is not null ? BinarizeOptions.FromStrategy(strategy, scoreName)
                : scoreName is not null ? new BinarizeOptions { Score = scoreName } : null;
            string? referenceModel = parse.GetValue(refModel);
            var result = KtoJob.Run(new KtoJobOptions
            {
                Model = CommandPaths.ExistingFolder(parse.GetValue(model)!, "model"),
                Data = CommandPaths.ExistingFile(parse.GetValue(data)!, "data"),
                Output = parse.GetValue(shared.Output)!,
                EvalData = parse.GetValue(shared.EvalData)?.FullName,
                Kto = new KtoOptions
                {
                    Beta = parse.GetValue(beta),
                    DesirableWeight = parse.GetValue(desirableWeight),
                    UndesirableWeight = parse.GetValue(undesirableWeight),
                },
                Training = shared.Read(parse),
                MaxLength = parse.GetValue(shared.MaxLength),
                Truncation = parse.GetValue(truncation),
                ChatFormat = parse.GetValue(chatFormat),
                Format = parse.GetValue(format),
                SkipBadRows = parse.GetValue(skipBad),
                Binarize = binarization,
                ReferenceModel = referenceModel is null ? null : CommandPaths.ExistingFolder(referenceModel, "ref-model"),
                RefCache = parse.GetValue(refCache),
                LogitsChunk = LogitChunking.Parse(parse.GetValue(logitsChunk)),
                Lora = lora.Read(parse),
                RecordedOptions = ResolvedOptions.Of(parse),
                Console = parse.InvocationConfiguration.Error,
            });
            TrainingSummary.Print(parse.InvocationConfiguration.Output, "kto", parse.GetValue(shared.Output)!, result);
            return CliApp.ExitOk;
        });
        return command;
    }
}
