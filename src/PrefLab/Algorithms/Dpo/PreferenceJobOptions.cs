using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Data.Binarization;
using PrefLab.Data.Collation;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Lora;
using PrefLab.Training;

namespace PrefLab.Algorithms.Dpo;

/// <summary>What every offline preference run (DPO and its variants, KTO) needs beside its loss: the model, the data,
/// the loop, tokenization, the reference and its cache. <see cref="DpoJobOptions"/> and
/// <see cref="Kto.KtoJobOptions"/> add their loss's settings.</summary>
public abstract record PreferenceJobOptions
{
    /// <summary>The policy to start from (usually an SFT model), Hugging Face layout with tokenizer files.</summary>
    public required string Model { get; init; }
    /// <summary>The training data (DPO: any pair format, multi-response formats binarized; KTO: labelled completions
    /// or pairs, each pair giving a desirable and an undesirable example).</summary>
    public required string Data { get; init; }
    public required string Output { get; init; }
    /// <summary>Held-out data in the same forms: <c>eval/*</c> metrics at each evaluation.</summary>
    public string? EvalData { get; init; }
    /// <summary>The loop's options; the default is the paper's DPO recipe (<see cref="DpoJob.PaperTraining"/>).</summary>
    public TrainingOptions Training { get; init; } = DpoJob.PaperTraining;
    /// <summary>Longest sequence (prompt + completion) in tokens.</summary>
    public int MaxLength { get; init; } = DpoJob.DefaultMaxLength;
    /// <summary>Over-long examples: cut the completions' tails, keeping the prompt whole (default), or drop them.</summary>
    public TruncationPolicy Truncation { get; init; } = TruncationPolicy.Truncate;
    public string? ChatFormat { get; init; }
    /// <summary>Data format name (null: detect).</summary>
    public string? Format { get; init; }
    public bool SkipBadRows { get; init; }
    /// <summary>LoRA adapters to train instead of the whole policy (null: full fine-tuning). The reference is then the
    /// starting model with the adapters switched off: no second copy.</summary>
    public LoraConfig? Lora { get; init; }
    /// <summary>How multi-response formats become pairs (null: the format's default); an error for other formats.</summary>
    public BinarizeOptions? Binarize { get; init; }
    /// <summary>The reference model folder (null: the starting model, as the paper). Must share the tokenizer.</summary>
    public string? ReferenceModel { get; init; }
    /// <summary>Where reference log-probs are cached: a folder, null for <see cref="ReferenceCache.DefaultFolder"/>,
    /// or <see cref="ReferenceCache.Off"/> to keep a live reference model instead.</summary>
    public string? RefCache { get; init; }
    /// <summary>How log-probs reach the vocabulary (<c>--logits-chunk</c>): by default in chunks of positions when a
    /// batch's logits would be large (big vocabularies), recomputed in backward instead of kept.</summary>
    public LogitChunking LogitsChunk { get; init; } = LogitChunking.Auto;
    /// <summary>What run.json records as the options (the CLI passes the resolved command line).</summary>
    public IReadOnlyDictionary<string, object?> RecordedOptions { get; init; } = new Dictionary<string, object?>();
    /// <summary>Where compact metric lines and warnings go when no progress bar carries them.</summary>
    public TextWriter? Console { get; init; }
    /// <summary>Called after each optimizer step with the step number (progress, cancellation by throwing).</summary>
    public Action<long>? AfterStep { get; init; }
}
