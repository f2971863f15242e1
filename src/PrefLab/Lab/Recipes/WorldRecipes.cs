using PrefLab.Training;
using PrefLab.World;

namespace PrefLab.Lab.Recipes;

/// <summary>
/// The World's recipes, in one place: <see cref="Demo"/> (<c>preflab demo</c>), <see cref="Quick"/>
/// (<c>demo --quick</c>) and <see cref="Tests"/> (the learnability tests). The learning rates, batches and β are
/// shared; only budgets (epochs, updates) differ, and each difference is written here with its reason. A
/// 1M-parameter model needs far larger learning rates than the paper's 13B ones.
/// </summary>
public static class WorldRecipes
{
    public const long Seed = 1;

    /// <summary>The demo's recipe: every stage sized to learn within the demo's 15-minute budget on 2 cores.</summary>
    public static WorldRecipe Demo { get; } = new()
    {
        Name = "demo",
        Scale = WorldScale.Small,
        Pretrain = new TrainingOptions
        {
            Seed = Seed, Epochs = 4, BatchSize = 16, Lr = 3e-3, WarmupRatio = 0.02, Schedule = LrScheduleKind.Cosine, MinLrRatio = 0.1, LogEvery = 10,
        },
        Sft = new TrainingOptions { Seed = Seed, Epochs = 6, BatchSize = 16, Lr = 1e-3, WarmupRatio = 0.03, LogEvery = 10 },
        // Gentle and long: larger steps gain no held-out accuracy and lower the greedy answers' gold (DpoLearnabilityTests).
        Dpo = new TrainingOptions { Seed = Seed, Epochs = 10, BatchSize = 8, GradAccum = 2, Lr = 1e-5, WarmupRatio = 0.1, LogEvery = 5 },
        // The paper's RM schedule (3% warm-up, linear decay to 0.1x, batch 8 x 4) at a World learning rate.
        RewardModel = Algorithms.RewardModeling.RewardModelJob.PaperTraining with { Seed = Seed, Epochs = 4, Lr = 3e-4, LogEvery = 10 },
        Ppo = new PpoRecipe { Updates = 12 },
    };

    /// <summary><c>demo --quick</c>: the same recipe with half the pretraining and SFT epochs and 3 PPO updates, to run in
    /// about two minutes; it shows the pipeline, not effects.</summary>
    public static WorldRecipe Quick { get; } = Demo with
    {
        Name = "demo-quick",
        Pretrain = Demo.Pretrain with { Epochs = 2 },
        Sft = Demo.Sft with { Epochs = 3 },
        Dpo = Demo.Dpo with { Epochs = 3 },
        Ppo = Demo.Ppo with { Updates = 3, MaxNewTokens = 32 },
    };

    /// <summary>The learnability tests: the demo's recipe; PPO runs 20 updates (the tests check one run, not a grid).</summary>
    public static WorldRecipe Tests { get; } = Demo with
    {
        Name = "tests",
        Ppo = Demo.Ppo with { Updates = 20 },
    };
}
