using PrefLab.Algorithms.Dpo;
using PrefLab.Runtime.Options;
using PrefLab.Training;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms.Kto;

/// <summary><c>preflab kto</c>: KTO from labelled completions or preference pairs, with cached reference log-probs.
/// Defaults: TRL's KTO (beta 0.1, both weights 1.0) on DPO's training recipe (lr 5e-7, 10% warm-up then linear
/// decay, 3 epochs, effective batch 32 = 8 x 4 accumulated).</summary>
public sealed class KtoCommand : ITrainingCommand
{
    public static readonly KtoCommand Instance = new();

    public readonly PreferenceCommandSpecs Shared = new(
        dataHelp: "Labelled completions (format unpaired: prompt, completion, label true/false) or preference pairs in any pair format (each pair gives its chosen as desirable and its rejected as undesirable); JSONL (optionally .gz) or Parquet.",
        refModelHelp: "Reference model folder (default: --model); must share its tokenizer.",
        refCacheHelp: $"Folder caching reference log-probs, computed once before training (default: {PreferenceCommandSpecs.DefaultCacheFolder}); 'off' keeps a live reference model and runs it on every batch.",
        logitsChunkHelp: "How log-probs reach the vocabulary: auto (in chunks of positions when a batch's logits would exceed 64 Mi values), off, on, or N positions per chunk.",
        truncationHelp: "Over-long examples: truncate the completion's tail (the prompt stays whole; examples with nothing left are dropped) or drop them; counted either way.");
    public readonly OptionSpec<double?> Beta = new("beta", $"Strength of the implicit KL constraint (default {KtoOptions.DefaultBeta}).") { HelpName = "B" };
    public readonly OptionSpec<double?> DesirableWeight = new("desirable-weight", $"λ_D, the weight of a desirable example's loss (default {KtoOptions.DefaultWeight}).") { HelpName = "W" };
    public readonly OptionSpec<double?> UndesirableWeight = new("undesirable-weight", $"λ_U, the weight of an undesirable example's loss (default {KtoOptions.DefaultWeight}); keep λ_D n_D / (λ_U n_U) in [1, 4/3].") { HelpName = "W" };

    KtoCommand() { }

    public string Name => "kto";
    public string Description => "Kahneman-Tversky optimisation (KTO) from desirable/undesirable completions or preference pairs; loss on the final assistant turn.";
    public IReadOnlyList<OptionSpec> Options => Shared.Options(Beta, DesirableWeight, UndesirableWeight);

    public KtoJobOptions Bind(OptionValues values, TextWriter console) => Shared.Bind(new KtoJobOptions
    {
        Model = OptionPaths.ExistingFolder(values.Get(Shared.Model), "model"),
        Data = OptionPaths.ExistingFile(values.Get(Shared.Data), "data"),
        Output = values.Get(Shared.Trainer.Output),
        Kto = new KtoOptions
        {
            Beta = values.Get(Beta),
            DesirableWeight = values.Get(DesirableWeight),
            UndesirableWeight = values.Get(UndesirableWeight),
        },
    }, values, console);

    public TrainingResult Run(OptionValues values, TextWriter console) => KtoJob.Run(Bind(values, console));
}
