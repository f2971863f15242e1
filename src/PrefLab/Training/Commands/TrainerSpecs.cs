using PrefLab.Models.Layers;
using PrefLab.Runtime;
using PrefLab.Runtime.Options;

namespace PrefLab.Training.Commands;

/// <summary>Per-command defaults for the options every trainer shares (the paper's recipe differs by algorithm).</summary>
public sealed record TrainerDefaults
{
    /// <summary>The library's defaults (<see cref="TrainingOptions"/>): what a command shows unless it overrides one.</summary>
    public static readonly TrainingOptions Library = new();

    public double Lr { get; init; } = Library.Lr;
    public int Epochs { get; init; } = Library.Epochs;
    public int BatchSize { get; init; } = Library.BatchSize;
    public int GradAccum { get; init; } = Library.GradAccum;
    public int MaxLength { get; init; } = 512;
    public double WarmupRatio { get; init; } = Library.WarmupRatio;
    public LrScheduleKind Schedule { get; init; } = Library.Schedule;
    public double MinLrRatio { get; init; } = Library.MinLrRatio;
    public double WeightDecay { get; init; } = Library.WeightDecay;
}

/// <summary>
/// The options every trainer shares, with the same names everywhere (DESIGN.md): output, seed, epochs, max-steps, lr,
/// batch-size, grad-accum, max-length, warmup-ratio, eval-data, eval-every, save-every, resume, log-every,
/// tensorboard, precision, plus the optimizer's knobs.
/// </summary>
public sealed class TrainerSpecs
{
    static TrainingOptions Library => TrainerDefaults.Library;

    public readonly OptionSpec<string> Output = new("output", "Run folder: the final model (Hugging Face layout), run.json, metrics.jsonl, checkpoints/.") { Required = true, HelpName = "DIR" };
    public readonly OptionSpec<long> Seed = new("seed", "Seed for data order, initialisation and sampling.") { Default = () => Library.Seed, HelpName = "N" };
    public readonly OptionSpec<int> Epochs;
    public readonly OptionSpec<long?> MaxSteps = new("max-steps", "Optimizer steps to run (overrides --epochs).") { HelpName = "N" };
    public readonly OptionSpec<double> Lr;
    public readonly OptionSpec<int> BatchSize;
    public readonly OptionSpec<int> GradAccum;
    public readonly OptionSpec<int> MaxLength;
    public readonly OptionSpec<double> WarmupRatio;
    public readonly OptionSpec<LrScheduleKind> Schedule;
    public readonly OptionSpec<double> MinLrRatio;
    public readonly OptionSpec<double> WeightDecay;
    public readonly OptionSpec<double> ClipNorm = new("clip-norm", "Clip gradients to this global L2 norm (0: off).") { Default = () => Library.ClipNorm, HelpName = "X" };
    public readonly OptionSpec<double> Beta1 = new("beta1", "AdamW beta1.") { Default = () => Library.Beta1, HelpName = "X" };
    public readonly OptionSpec<double> Beta2 = new("beta2", "AdamW beta2.") { Default = () => Library.Beta2, HelpName = "X" };
    public readonly OptionSpec<string?> EvalData = new("eval-data", "Held-out data in the same format as --data.") { HelpName = "FILE" };
    public readonly OptionSpec<int> EvalEvery = new("eval-every", "Evaluate every N steps (0: only at the end).") { Default = () => Library.EvalEvery, HelpName = "N" };
    public readonly OptionSpec<int> SaveEvery = new("save-every", "Checkpoint every N steps (0: none).") { Default = () => Library.SaveEvery, HelpName = "N" };
    public readonly OptionSpec<int> KeepCheckpoints = new("keep-checkpoints", "Checkpoints to keep (the latest).") { Default = () => Library.KeepCheckpoints, HelpName = "K" };
    public readonly OptionSpec<bool> Resume = new("resume", "Continue the run in --output from its last checkpoint.");
    public readonly OptionSpec<int> LogEvery = new("log-every", "Log metrics every N steps (the first step always).") { Default = () => Library.LogEvery, HelpName = "N" };
    public readonly OptionSpec<bool> Tensorboard = new("tensorboard", "Also write TensorBoard event files to OUT/tensorboard.");
    /// <summary>auto is resolved when read, so run.json records what ran (Fp32 or Bf16), not "auto".</summary>
    public readonly OptionSpec<LinearPrecision> Precision = new("precision",
        "Matrix products of every model the run trains or uses as its reference: fp32, bf16 (bfloat16 products over float32 weights; up to about twice as fast in fixed-shape benchmarks where the CPU has AVX-512 BF16, 1.0-1.2x in World pretraining, very slow where it has not), or auto (bf16 where native).")
    {
        Default = () => Library.Precision,
        Parser = text => ComputePrecision.ParsePrecision(text, MachineInfo.Read().HasAvx512Bf16),
        HelpName = "fp32|bf16|auto",
    };

    public readonly OptionSpec<bool> GradientCheckpointing = new("gradient-checkpointing",
        "Recompute each decoder block's activations in backward instead of keeping them: less memory for long sequences and large models, about a third more compute per step; the same gradients.");

    public TrainerSpecs(TrainerDefaults defaults)
    {
        Epochs = new("epochs", "Passes over the training data.") { Default = () => defaults.Epochs, HelpName = "N" };
        Lr = new("lr", "Peak learning rate.") { Default = () => defaults.Lr, HelpName = "X" };
        BatchSize = new("batch-size", "Examples per forward pass (micro-batch).") { Default = () => defaults.BatchSize, HelpName = "N" };
        GradAccum = new("grad-accum", "Micro-batches per optimizer step (effective batch = batch size x this).") { Default = () => defaults.GradAccum, HelpName = "N" };
        MaxLength = new("max-length", "Longest sequence in tokens.") { Default = () => defaults.MaxLength, HelpName = "N" };
        WarmupRatio = new("warmup-ratio", "Fraction of steps spent warming up the learning rate.") { Default = () => defaults.WarmupRatio, HelpName = "X" };
        Schedule = new("lr-schedule", "Learning-rate schedule after warm-up.") { Default = () => defaults.Schedule, HelpName = "linear|constant|cosine" };
        MinLrRatio = new("min-lr-ratio", "Where decay ends, as a fraction of --lr.") { Default = () => defaults.MinLrRatio, HelpName = "X" };
        WeightDecay = new("weight-decay", "AdamW decoupled weight decay (matrices only).") { Default = () => defaults.WeightDecay, HelpName = "X" };
    }

    public IReadOnlyList<OptionSpec> All =>
    [
        Output, Seed, Epochs, MaxSteps, Lr, BatchSize, GradAccum, MaxLength, WarmupRatio, Schedule, MinLrRatio, WeightDecay,
        ClipNorm, Beta1, Beta2, EvalData, EvalEvery, SaveEvery, KeepCheckpoints, Resume, LogEvery, Tensorboard, Precision, GradientCheckpointing,
    ];

    /// <summary>The options online RL offers: no --grad-accum, --max-length or --eval-*.</summary>
    public IReadOnlyList<OptionSpec> ForOnlineRl =>
    [
        Output, Seed, Epochs, MaxSteps, Lr, BatchSize, WarmupRatio, Schedule, MinLrRatio, WeightDecay, ClipNorm, Beta1, Beta2,
        SaveEvery, KeepCheckpoints, Resume, LogEvery, Tensorboard, Precision, GradientCheckpointing,
    ];

    /// <summary>bf16 asked for on a CPU without AVX-512 BF16 runs, emulated, about a hundred times slower: say so.</summary>
    public static void WarnIfEmulated(TextWriter console, LinearPrecision precision)
    {
        if (precision == LinearPrecision.Bf16 && !MachineInfo.Read().HasAvx512Bf16)
            console.WriteLine("preflab: note: this CPU has no AVX-512 BF16; --precision bf16 is emulated and slow (auto picks fp32 here)");
    }

    /// <summary>The loop's options; values are checked by <see cref="TrainingOptions.Validate"/>.</summary>
    public TrainingOptions Read(OptionValues values, TextWriter console)
    {
        var options = ReadShared(values, new TrainingOptions()) with
        {
            BatchSize = values.Get(BatchSize),
            GradAccum = values.Get(GradAccum),
            EvalEvery = values.Get(EvalEvery),
        };
        options.Validate();
        WarnIfEmulated(console, options.Precision);
        if (values.Get(MaxLength) < 8) throw UserError.InOption("max-length", $"must be at least 8, not {values.Get(MaxLength)}");
        if (EvalFile(values) is string eval && !File.Exists(eval)) throw UserError.InOption("eval-data", $"file not found: {Path.GetFullPath(eval)}");
        return options;
    }

    /// <summary>The options online RL offers (<see cref="ForOnlineRl"/>) over <paramref name="baseline"/>; the others keep its values.</summary>
    public TrainingOptions ReadShared(OptionValues values, TrainingOptions baseline) => baseline with
    {
        Seed = values.Get(Seed),
        Epochs = values.Get(Epochs),
        MaxSteps = values.Get(MaxSteps),
        Lr = values.Get(Lr),
        WarmupRatio = values.Get(WarmupRatio),
        Schedule = values.Get(Schedule),
        MinLrRatio = values.Get(MinLrRatio),
        WeightDecay = values.Get(WeightDecay),
        ClipNorm = values.Get(ClipNorm),
        Beta1 = values.Get(Beta1),
        Beta2 = values.Get(Beta2),
        SaveEvery = values.Get(SaveEvery),
        KeepCheckpoints = values.Get(KeepCheckpoints),
        Resume = values.Get(Resume),
        LogEvery = values.Get(LogEvery),
        Tensorboard = values.Get(Tensorboard),
        Precision = values.Get(Precision),
        GradientCheckpointing = values.Get(GradientCheckpointing),
    };

    /// <summary>--eval-data as an absolute path, or null.</summary>
    public string? EvalFile(OptionValues values) => values.Get(EvalData) is string eval ? Path.GetFullPath(eval) : null;
}
