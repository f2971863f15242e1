using PrefLab.Runtime.Options;
using PrefLab.Training;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.Dpo;

/// <summary><c>preflab dpo</c>: DPO and its variants from preference pairs, with reference log-probs computed
/// once and cached. Defaults are the paper's recipe (beta 0.1, lr 5e-7, 10% warm-up then linear decay,
/// 3 epochs, effective batch 32 = 8 x 4 accumulated, loss on the final assistant turn).</summary>
public sealed class DpoCommand : ITrainingCommand
{
    public static readonly DpoCommand Instance = new();

    public readonly PreferenceCommandSpecs Shared = new(
        dataHelp: "Preference data: JSONL (optionally .gz) or Parquet in any pair format; multi-response formats are binarized.",
        refModelHelp: "Reference model folder (default: --model); must share its tokenizer. Not for simpo.",
        refCacheHelp: $"Folder caching reference log-probs, computed once before training (default: {PreferenceCommandSpecs.DefaultCacheFolder}); 'off' keeps a live reference model and runs it on every batch. Not for simpo.",
        logitsChunkHelp: "How log-probs reach the vocabulary: auto (in chunks of positions, recomputed in backward, when a batch's logits would exceed 64 Mi values, as with 150k-word vocabularies), off (all positions at once), on, or N positions per chunk.",
        truncationHelp: "Over-long pairs: truncate the completions' tails (the prompt stays whole; pairs with nothing left are dropped) or drop them; counted either way.");
    public readonly OptionSpec<string> Loss = new("loss", "dpo (sigmoid, Rafailov et al.), ipo (squared, length-averaged), cdpo (label smoothing), simpo (reference-free, length-averaged, target margin), dpo-norm (sigmoid on length-averaged log-probs).")
    {
        Default = () => "dpo", HelpName = string.Join("|", DpoLossTypes.All.Select(DpoLossTypes.Name)),
    };
    public readonly OptionSpec<double?> Beta = new("beta", $"Strength of the implicit KL constraint (default {DpoOptions.DefaultBeta}; {DpoOptions.DefaultSimpoBeta} for simpo).") { HelpName = "B" };
    public readonly OptionSpec<double?> LabelSmoothing = new("label-smoothing", $"cdpo only: the assumed label-flip rate ε in (0, 0.5) (default {DpoOptions.DefaultLabelSmoothing}).") { HelpName = "E" };
    public readonly OptionSpec<double?> SimpoGamma = new("simpo-gamma", $"simpo only: the target reward margin γ >= 0 (default {DpoOptions.DefaultSimpoGamma}).") { HelpName = "G" };

    DpoCommand() { }

    public string Name => "dpo";
    public string Description => "Direct preference optimisation and its variants (ipo, cdpo, simpo, dpo-norm) on preference pairs; loss on the final assistant turn.";
    public IReadOnlyList<OptionSpec> Options => Shared.Options(Loss, Beta, LabelSmoothing, SimpoGamma);

    public DpoJobOptions Bind(OptionValues values, TextWriter console) => Shared.Bind(new DpoJobOptions
    {
        Model = OptionPaths.ExistingFolder(values.Get(Shared.Model), "model"),
        Data = OptionPaths.ExistingFile(values.Get(Shared.Data), "data"),
        Output = values.Get(Shared.Trainer.Output),
        Dpo = new DpoOptions
        {
            Loss = DpoLossTypes.Parse(values.Get(Loss)),
            Beta = values.Get(Beta),
            LabelSmoothing = values.Get(LabelSmoothing),
            SimpoGamma = values.Get(SimpoGamma),
        },
    }, values, console);

    public TrainingResult Run(OptionValues values, TextWriter console) => DpoJob.Run(Bind(values, console));
}
