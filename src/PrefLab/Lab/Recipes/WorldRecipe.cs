using System.Globalization;
using PrefLab.Training;
using PrefLab.World;

namespace PrefLab.Lab.Recipes;

/// <summary>PPO's knobs in a World recipe (the rest are the library's defaults: γ 1, λ 0.95, clip 0.2, k1 KL).</summary>
public sealed record PpoRecipe
{
    public double KlCoef { get; init; } = 0.05;
    public double Lr { get; init; } = 1e-4;
    /// <summary>The value model's learning rate (null: <see cref="Lr"/>).</summary>
    public double? ValueLr { get; init; }
    /// <summary>GAE λ (1: Monte-Carlo returns minus the value baseline).</summary>
    public double Lambda { get; init; } = 0.95;
    /// <summary>Prompts per update.</summary>
    public int RolloutBatchSize { get; init; } = 32;
    public int PpoEpochs { get; init; } = 4;
    public int NumMinibatches { get; init; } = 2;
    public int MaxNewTokens { get; init; } = 48;
    /// <summary>Policy updates (rollout + training) of a run.</summary>
    public int Updates { get; init; } = 12;
    /// <summary>The learning-rate schedule (null: PPO's default, linear decay to 0).</summary>
    public LrScheduleKind? Schedule { get; init; }

    public long TotalEpisodes => (long)Updates * RolloutBatchSize;
}

/// <summary>
/// How to train every component on a Preference World: the model preset, the World's scale, and the options of
/// pretraining, SFT, DPO, the reward model and PPO. One record for the demo, the quick demo and the learnability
/// tests (<see cref="WorldRecipes"/>), so the figures the tests assert and the demo reports come from the same
/// recipe, and the budgets in which they differ are stated there, side by side.
/// </summary>
public sealed record WorldRecipe
{
    public required string Name { get; init; }
    public WorldScale Scale { get; init; } = WorldScale.Small;
    public string Preset { get; init; } = "world-small";
    /// <summary>Longest sequence of every training stage (World prompts and answers are far shorter).</summary>
    public int MaxLength { get; init; } = 128;
    public required TrainingOptions Pretrain { get; init; }
    public required TrainingOptions Sft { get; init; }
    public required TrainingOptions Dpo { get; init; }
    public double DpoBeta { get; init; } = 0.1;
    public required TrainingOptions RewardModel { get; init; }
    public PpoRecipe Ppo { get; init; } = new();

    /// <summary>The training options as a lab grid's flow mapping body ("epochs: 4, batch-size: 16, lr: 0.003, ...");
    /// every field is written, so a grid never silently takes a command's own default instead.</summary>
    public static string GridOptions(TrainingOptions t)
    {
        var parts = new List<string>();
        if (t.MaxSteps is long steps) parts.Add($"max-steps: {steps}");
        else parts.Add($"epochs: {t.Epochs}");
        parts.Add($"batch-size: {t.BatchSize}");
        parts.Add($"grad-accum: {t.GradAccum}");
        parts.Add($"lr: {Number(t.Lr)}");
        parts.Add($"warmup-ratio: {Number(t.WarmupRatio)}");
        parts.Add($"lr-schedule: {t.Schedule.ToString().ToLowerInvariant()}");
        parts.Add($"min-lr-ratio: {Number(t.MinLrRatio)}");
        parts.Add($"weight-decay: {Number(t.WeightDecay)}");
        parts.Add($"log-every: {t.LogEvery}");
        return string.Join(", ", parts);
    }

    /// <summary>PPO's options as a grid flow mapping body.</summary>
    public static string GridOptions(PpoRecipe p) =>
        $"kl-coef: {Number(p.KlCoef)}, lr: {Number(p.Lr)}, {(p.ValueLr is double v ? $"value-lr: {Number(v)}, " : "")}lam: {Number(p.Lambda)}, " +
        $"rollout-batch-size: {p.RolloutBatchSize}, ppo-epochs: {p.PpoEpochs}, num-minibatches: {p.NumMinibatches}, " +
        $"max-new-tokens: {p.MaxNewTokens}, total-episodes: {p.TotalEpisodes}" +
        (p.Schedule is LrScheduleKind schedule ? $", lr-schedule: {schedule.ToString().ToLowerInvariant()}" : "");

    /// <summary>A number as YAML reads it back exactly (invariant culture, round-trip).</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
