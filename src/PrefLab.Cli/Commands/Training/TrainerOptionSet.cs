using System.CommandLine;
using PrefLab.Models.Layers;
using PrefLab.Training;

namespace PrefLab.Cli.Commands.Training;

/// <summary>Per-command defaults for the options every trainer shares (the paper's recipe differs by algorithm).</summary>
public sealed record TrainerDefaults
{
    /// <summary>The library's defaults (<see cref="TrainingOptions"/>): what a command shows unless it overrides one.</summary>
    internal static readonly TrainingOptions Library = new();

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
/// The options every trainer shares, with the same names everywhere (DESIGN.md): --output, --seed, --epochs,
/// --max-steps, --lr, --batch-size, --grad-accum, --max-length, --warmup-ratio, --eval-data, --eval-every,
/// --save-every, --resume, --log-every, --tensorboard, plus the optimizer's knobs.
/// </summary>
public sealed class TrainerOptionSet
{
    public readonly Option<string> Output = new("--output") { Description = "Run folder: the final model (Hugging Face layout), run.json, metrics.jsonl, checkpoints/.", Required = true, HelpName = "DIR" };
    public readonly Option<long> Seed = new("--seed") { Description = "Seed for data order, initialisation and sampling.", DefaultValueFactory = _ => TrainerDefaults.Library.Seed, HelpName = "N" };
    public readonly Option<int> Epochs;
    public readonly Option<long?> MaxSteps = new("--max-steps") { Description = "Optimizer steps to run (overrides --epochs).", HelpName = "N" };
    public readonly Option<double> Lr;
    public readonly Option<int> BatchSize;
    public readonly Option<int> GradAccum;
    public readonly Option<int> MaxLength;
    public readonly Option<double> WarmupRatio;
    public readonly Option<LrScheduleKind> Schedule;
    public readonly Option<double> MinLrRatio;
    public readonly Option<double> WeightDecay;
    public readonly Option<double> ClipNorm = new("--clip-norm") { Description = "Clip gradients to this global L2 norm (0: off).", DefaultValueFactory = _ => TrainerDefaults.Library.ClipNorm, HelpName = "X" };
    public readonly Option<double> Beta1 = new("--beta1") { Description = "AdamW beta1.", DefaultValueFactory = _ => TrainerDefaults.Library.Beta1, HelpName = "X" };
    public readonly Option<double> Beta2 = new("--beta2") { Description = "AdamW beta2.", DefaultValueFactory = _ => TrainerDefaults.Library.Beta2, HelpName = "X" };
    public readonly Option<FileInfo?> EvalData = new("--eval-data") { Description = "Held-out data in the same format as --data.", HelpName = "FILE" };
    public readonly Option<int> EvalEvery = new("--eval-every") { Description = "Evaluate every N steps (0: only at the end).", DefaultValueFactory = _ => TrainerDefaults.Library.EvalEvery, HelpName = "N" };
    public readonly Option<int> SaveEvery = new("--save-every") { Description = "Checkpoint every N steps (0: none).", DefaultValueFactory = _ => TrainerDefaults.Library.SaveEvery, HelpName = "N" };
    public readonly Option<int> KeepCheckpoints = new("--keep-checkpoints") { Description = "Checkpoints to keep (the latest).", DefaultValueFactory = _ => TrainerDefaults.Library.KeepCheckpoints, HelpName = "K" };
    public readonly Option<bool> Resume = new("--resume") { Description = "Continue the run in --output from its last checkpoint." };
    public readonly Option<int> LogEvery = new("--log-every") { Description = "Log metrics every N steps (the first step always).", DefaultValueFactory = _ => TrainerDefaults.Library.LogEvery, HelpName = "N" };
    public readonly Option<bool> Tensorboard = new("--tensorboard") { Description = "Also write TensorBoard event files to OUT/tensorboard." };
    /// <summary>auto is resolved when parsed, so run.json records what ran (Fp32 or Bf16), not "auto".</summary>
    public readonly Option<LinearPrecision> Precision = new("--precision")
    {
        Description = "Matrix products of every model the run trains or uses as its reference: fp32, bf16 (bfloat16 products over float32 weights; up to about twice as fast in fixed-shape benchmarks where the CPU has AVX-512 BF16, 1.0-1.2x in World pretraining, very slow where it has not), or auto (bf16 where native).",
        DefaultValueFactory = _ => TrainerDefaults.Library.Precision,
        CustomParser = ParsePrecision,
        HelpName = "fp32|bf16|auto",
    };

    public TrainerOptionSet(TrainerDefaults defaults)
    {
        Epochs = new("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => defaults.Epochs, HelpName = "N" };
        Lr = new("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => defaults.Lr, HelpName = "X" };
        BatchSize = new("--batch-size") { Description = "Examples per forward pass (micro-batch).", DefaultValueFactory = _ => defaults.BatchSize, HelpName = "N" };
        GradAccum = new("--grad-accum") { Description = "Micro-batches per optimizer step (effective batch = batch size x this).", DefaultValueFactory = _ => defaults.GradAccum, HelpName = "N" };
        MaxLength = new("--max-length") { Description = "Longest sequence in tokens.", DefaultValueFactory = _ => defaults.MaxLength, HelpName = "N" };
        WarmupRatio = new("--warmup-ratio") { Description = "Fraction of steps spent warming up the learning rate.", DefaultValueFactory = _ => defaults.WarmupRatio, HelpName = "X" };
        Schedule = new("--lr-schedule") { Description = "Learning-rate schedule after warm-up.", DefaultValueFactory = _ => defaults.Schedule, HelpName = "linear|constant|cosine" };
        MinLrRatio = new("--min-lr-ratio") { Description = "Where decay ends, as a fraction of --lr.", DefaultValueFactory = _ => defaults.MinLrRatio, HelpName = "X" };
        WeightDecay = new("--weight-decay") { Description = "AdamW decoupled weight decay (matrices only).", DefaultValueFactory = _ => defaults.WeightDecay, HelpName = "X" };
    }

    public IEnumerable<Option> All => new Option[]
    {
        Output, Seed, Epochs, MaxSteps, Lr, BatchSize, GradAccum, MaxLength, WarmupRatio, Schedule, MinLrRatio, WeightDecay,
        ClipNorm, Beta1, Beta2, EvalData, EvalEvery, SaveEvery, KeepCheckpoints, Resume, LogEvery, Tensorboard, Precision,
    };

    /// <summary>bf16 asked for on a CPU without AVX-512 BF16 runs, emulated, about a hundred times slower: say so.</summary>
    internal static void WarnIfEmulated(ParseResult parse, LinearPrecision precision)
    {
        if (precision == LinearPrecision.Bf16 && !Runtime.MachineInfo.Read().HasAvx512Bf16)
            parse.InvocationConfiguration.Error.WriteLine("preflab: note: this CPU has no AVX-512 BF16; --precision bf16 is emulated and slow (auto picks fp32 here)");
    }

    static LinearPrecision ParsePrecision(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "fp32";
        try
        {
            return ComputePrecision.ParsePrecision(text, Runtime.MachineInfo.Read().HasAvx512Bf16);
        }
        catch (Runtime.UserError error)
        {
            result.AddError(error.Message);
            return LinearPrecision.Fp32;
        }
    }

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>The loop's options from a parse; values are checked by <see cref="TrainingOptions.Validate"/>.</summary>
    public TrainingOptions Read(ParseResult parse)
    {
        var options = new TrainingOptions
        {
            Seed = parse.GetValue(Seed),
            Epochs = parse.GetValue(Epochs),
            MaxSteps = parse.GetValue(MaxSteps),
            Lr = parse.GetValue(Lr),
            BatchSize = parse.GetValue(BatchSize),
            GradAccum = parse.GetValue(GradAccum),
            WarmupRatio = parse.GetValue(WarmupRatio),
            Schedule = parse.GetValue(Schedule),
            MinLrRatio = parse.GetValue(MinLrRatio),
            WeightDecay = parse.GetValue(WeightDecay),
            ClipNorm = parse.GetValue(ClipNorm),
            Beta1 = parse.GetValue(Beta1),
            Beta2 = parse.GetValue(Beta2),
            EvalEvery = parse.GetValue(EvalEvery),
            SaveEvery = parse.GetValue(SaveEvery),
            KeepCheckpoints = parse.GetValue(KeepCheckpoints),
            Resume = parse.GetValue(Resume),
            LogEvery = parse.GetValue(LogEvery),
            Tensorboard = parse.GetValue(Tensorboard),
            Precision = parse.GetValue(Precision),
        };
        options.Validate();
        WarnIfEmulated(parse, options.Precision);
        if (parse.GetValue(MaxLength) < 8) throw Runtime.UserError.InOption("max-length", $"must be at least 8, not {parse.GetValue(MaxLength)}");
        if (parse.GetValue(EvalData) is FileInfo eval && !eval.Exists) throw Runtime.UserError.InOption("eval-data", $"file not found: {eval.FullName}");
        return options;
    }
}
