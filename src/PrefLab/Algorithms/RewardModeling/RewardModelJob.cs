using System.Text.Json.Nodes;
using PrefLab.Data.Binarization;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Models.Config;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text.Chat;
using PrefLab.Text;
using PrefLab.Training;

namespace PrefLab.Algorithms.RewardModeling;

/// <summary>Everything a reward-model training run needs; the CLI (<c>preflab rm train</c>) and the lab both build one.</summary>
public sealed record RewardModelJobOptions
{
    /// <summary>A causal LM folder (a new score head is drawn) or a reward model folder (training continues
    /// from its head), Hugging Face layout with tokenizer files.</summary>
    public required string Model { get; init; }
    /// <summary>Preference data in any pair format (multi-response formats are binarized by <see cref="Binarize"/>).</summary>
    public required string Data { get; init; }
    public required string Output { get; init; }
    public string? EvalData { get; init; }
    public TrainingOptions Training { get; init; } = RewardModelJob.PaperTraining;
    /// <summary>Longest sequence (prompt + response) in tokens; a pair with a longer side is dropped and counted.</summary>
    public int MaxLength { get; init; } = 1024;
    /// <summary>Use each pair's margin m in -log σ(r_c - r_r - m) (Llama 2 / TRL): m = <see cref="MarginScale"/> ×
    /// the margin the data carries, in the data's own units (see <see cref="PreferencePair.Margin"/>); 0 for a pair
    /// without one.</summary>
    public bool UseMargin { get; init; }
    public double MarginScale { get; init; } = 1.0;
    public string? ChatFormat { get; init; }
    /// <summary>Data format name (null: detect).</summary>
    public string? Format { get; init; }
    public bool SkipBadRows { get; init; }
    /// <summary>How multi-response formats become pairs (null: the format's default, seeded by the training seed).</summary>
    public BinarizeOptions? Binarize { get; init; }
    /// <summary>What run.json records as the options (the CLI passes the resolved command line).</summary>
    public IReadOnlyDictionary<string, object?> RecordedOptions { get; init; } = new Dictionary<string, object?>();
    /// <summary>Where compact metric lines go when no progress bar carries them.</summary>
    public TextWriter? Console { get; init; }
    /// <summary>Called after each optimizer step with its number (the lab's progress; tests interrupt a run with it).</summary>
    public Action<long>? AfterStep { get; init; }
}

/// <summary>
/// Trains a reward model: a scalar head on a causal LM's backbone (or an existing reward model), the
/// Bradley-Terry loss on preference pairs (<see cref="RewardModelObjective"/>), the shared training loop, the
/// final model saved as <c>*ForSequenceClassification</c> with the tokenizer files.
/// </summary>
public static class RewardModelJob
{
    public const string Command = "rm train";

    /// <summary>The paper's reward-model recipe: lr 1e-5 decaying linearly to 1e-6 (min-lr-ratio 0.1) after 3%
    /// warm-up, one epoch, AdamW betas 0.9/0.95, clip 1.0, no weight decay. The batch (8 × 4 accumulation =
    /// 32 pairs) is ours: set <see cref="TrainingOptions.GradAccum"/> for a larger one.</summary>
    public static TrainingOptions PaperTraining { get; } = new()
    {
        Lr = 1e-5, MinLrRatio = 0.1, WarmupRatio = 0.03, Epochs = 1, Schedule = LrScheduleKind.Linear,
        BatchSize = 8, GradAccum = 4, Beta1 = 0.9, Beta2 = 0.95, ClipNorm = 1.0, WeightDecay = 0,
    };

    public static TrainingResult Run(RewardModelJobOptions options)
    {
        TorchRuntime.EnsureLoaded();
        options.Training.Validate();
        if (options.MaxLength < 8) throw UserError.InOption("max-length", $"must be at least 8, not {options.MaxLength}");
        if (options.UseMargin && !(double.IsFinite(options.MarginScale) && options.MarginScale >= 0))
            throw UserError.InOption("margin-scale", $"must be a non-negative number, not {options.MarginScale}");
        var tokenizer = TokenizerLoader.Load(options.Model);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, options.ChatFormat));
        var read = new ReadOptions
        {
            Format = options.Format, SkipBadRows = options.SkipBadRows,
            Binarize = options.Binarize ?? new BinarizeOptions { Seed = options.Training.Seed },
        };
        var dataReport = new JsonObject();
        var train = PairTokenization.Read(options.Data, chat, options.MaxLength, read, out var trainReport);
        dataReport["train"] = trainReport;
        var eval = new List<TokenizedPair>();
        if (options.EvalData is not null)
        {
            eval = PairTokenization.Read(options.EvalData, chat, options.MaxLength, read, out var evalReport);
            dataReport["eval"] = evalReport;
        }
        if (train.Count == 0)
            throw UserError.InOption("data", $"{options.Data}: no training pairs left after tokenization ({trainReport.ToJsonString()})");
        if (options.UseMargin && !train.Any(p => p.Margin is not null))
            throw UserError.InOption("margin", $"{options.Data} carries no margins (no score gap in any pair); train without --margin or give scored data");

        var model = LoadModel(options.Model, options.Training.Seed, out var initialisation, options.Training.Compute());
        using var _ = model;
        var run = RunDirectory.Start(options.Output, Command, options.RecordedOptions, options.Training.Seed, options.Training.Resume);
        run.Set("data", dataReport);
        run.Set("model", new JsonObject
        {
            ["from"] = Path.GetFullPath(options.Model),
            ["initialisation"] = initialisation,
            ["parameters"] = model.ParameterCount,
            ["architecture"] = model.Config.SequenceClassificationArchitecture,
        });
        run.Set("loss", new JsonObject
        {
            ["type"] = "bradley-terry: -log sigmoid(r_chosen - r_rejected - m)",
            ["margin"] = options.UseMargin
                ? new JsonObject { ["m"] = "margin_scale * pair margin (data units; 0 when absent)", ["margin_scale"] = options.MarginScale,
                    ["pairs_with_margin"] = train.Count(p => p.Margin is not null), ["pairs_without_margin"] = train.Count(p => p.Margin is null) }
                : null,
            ["reward_position"] = "last real token of each sequence (the EOS), from the attention mask",
        });
        var objective = new RewardModelObjective(model, train, eval, chat.PadId, options.Training.BatchSize,
            options.UseMargin ? options.MarginScale : null, folder =>
            {
                model.Save(folder, new ModelSaveOptions { PadTokenId = tokenizer.PadId });
                ModelFolder.CopyTokenizerFiles(options.Model, folder);
            });
        var logger = new MetricsLogger(run, options.Training.Tensorboard, options.Console);
        return new Trainer(objective, options.Training, run, logger, Command) { AfterStep = options.AfterStep }.Run();
    }

    /// <summary>A reward model folder is loaded as it is; a causal LM folder gets a new score head drawn from
    /// N(0, 1/sqrt(hidden+1)) with the named stream "rm/score-head" of <paramref name="seed"/>.</summary>
    /// <param name="precision">How the model computes (float32 when null).</param>
    public static ScalarHeadModel LoadModel(string folder, long seed, out string initialisation, Models.Layers.ComputePrecision? precision = null)
    {
        var config = ModelConfigs.Load(folder);
        if (config.DeclaredHead == ModelHead.Scalar)
        {
            initialisation = "continued from a reward model (its score head)";
            return ScalarHeadModel.Load(folder, precision);
        }
        initialisation = "backbone of the causal LM; new score head N(0, 1/sqrt(hidden+1)), seed stream rm/score-head";
        return ScalarHeadModel.FromCausalLM(folder, Seeding.Derive(seed, "rm/score-head"), precision);
    }
}
