using System.CommandLine;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Algorithms.Dpo;
using PrefLab.Data.Binarization;
using PrefLab.Data.Collation;
using PrefLab.Data.Formats;
using PrefLab.Models.LogProbs;
using PrefLab.Text.Chat;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.Training;

/// <summary><c>preflab dpo</c>: DPO and its variants from preference pairs, with reference log-probs computed
/// once and cached. Defaults are the paper's recipe (beta 0.1, lr 5e-7, 10% warm-up then linear decay,
/// 3 epochs, effective batch 32 = 8 x 4 accumulated, loss on the final assistant turn).</summary>
public static class DpoCommand
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
        var data = new Option<string>("--data") { Description = "Preference data: JSONL (optionally .gz) or Parquet in any pair format; multi-response formats are binarized.", Required = true, HelpName = "FILE" };
        var loss = new Option<string>("--loss")
        {
            Description = "dpo (sigmoid, Rafailov et al.), ipo (squared, length-averaged), cdpo (label smoothing), simpo (reference-free, length-averaged, target margin), dpo-norm (sigmoid on length-averaged log-probs).",
            DefaultValueFactory = _ => "dpo", HelpName = string.Join("|", DpoLossTypes.All.Select(DpoLossTypes.Name)),
        };
        var beta = new Option<double?>("--beta") { Description = $"Strength of the implicit KL constraint (default {DpoOptions.DefaultBeta}; {DpoOptions.DefaultSimpoBeta} for simpo).", HelpName = "B" };
        var labelSmoothing = new Option<double?>("--label-smoothing") { Description = $"cdpo only: the assumed label-flip rate ε in (0, 0.5) (default {DpoOptions.DefaultLabelSmoothing}).", HelpName = "E" };
        var simpoGamma = new Option<double?>("--simpo-gamma") { Description = $"simpo only: the target reward margin γ >= 0 (default {DpoOptions.DefaultSimpoGamma}).", HelpName = "G" };
        var refModel = new Option<string?>("--ref-model") { Description = "Reference model folder (default: --model); must share its tokenizer. Not for simpo.", HelpName = "DIR" };
        var refCache = new Option<string?>("--ref-cache")
        {
            Description = $"Folder caching reference log-probs, computed once before training (default: {ReferenceCache.DefaultFolder}); 'off' keeps a live reference model and runs it on every batch. Not for simpo.",
            HelpName = "DIR|off",
        };
        var logitsChunk = new Option<string>("--logits-chunk") { Description = "How log-probs reach the vocabulary: auto (in chunks of positions, recomputed in backward, when a batch's logits would exceed 64 Mi values, as with 150k-word vocabularies), off (all positions at once), on, or N positions per chunk.", DefaultValueFactory = _ => "auto", HelpName = "auto|off|on|N" };
        var chatFormat = new Option<string?>("--chat-format") { Description = ChatFormats.OptionHelp("The model's"), HelpName = "NAME" };
        var truncation = new Option<TruncationPolicy>("--truncation") { Description = "Over-long pairs: truncate the completions' tails (the prompt stays whole; pairs with nothing left are dropped) or drop them; counted either way.", DefaultValueFactory = _ => TruncationPolicy.Truncate, HelpName = "truncate|drop" };
        var format = new Option<string?>("--format") { Description = $"Data format (default: detected from the fields): {string.Join(", ", DataFormats.Names)}.", HelpName = "NAME" };
        var binarize = new Option<string?>("--binarize") { Description = BinarizeOptions.StrategyHelp, HelpName = "STRATEGY" };
        var score = new Option<string?>("--score") { Description = BinarizeOptions.ScoreHelp, HelpName = "NAME" };
        var skipBad = new Option<bool>("--skip-bad-rows") { Description = "Skip malformed rows (counted by reason in run.json) instead of stopping." };

        var command = new Command("dpo", "Direct preference optimisation and its variants (ipo, cdpo, simpo, dpo-norm) on preference pairs; loss on the final assistant turn.")
        {
            model, data, loss, beta, labelSmoothing, simpoGamma, refModel, refCache, logitsChunk, chatFormat, truncation, format, binarize, score, skipBad,
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
            var result = DpoJob.Run(new DpoJobOptions
            {
                Model = CommandPaths.ExistingFolder(parse.GetValue(model)!, "model"),
                Data = CommandPaths.ExistingFile(parse.GetValue(data)!, "data"),
                Output = parse.GetValue(shared.Output)!,
                EvalData = parse.GetValue(shared.EvalData)?.FullName,
                Dpo = new DpoOptions
                {
                    Loss = DpoLossTypes.Parse(parse.GetValue(loss)!),
                    Beta = parse.GetValue(beta),
                    LabelSmoothing = parse.GetValue(labelSmoothing),
                    SimpoGamma = parse.GetValue(simpoGamma),
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
            TrainingSummary.Print(parse.InvocationConfiguration.Output, "dpo", parse.GetValue(shared.Output)!, result);
            return CliApp.ExitOk;
        });
        return command;
    }
}
