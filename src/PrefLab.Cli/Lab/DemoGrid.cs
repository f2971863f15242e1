using PrefLab.Lab.Recipes;
using PrefLab.World;

namespace PrefLab.Cli.Lab;

/// <summary>
/// The grid <c>preflab demo</c> runs: the paper's four components on a Preference World, sized for a 2-core laptop.
/// The recipes are <see cref="WorldRecipes"/> (shared with the learnability tests); the levels are the paper's
/// questions: clean vs noisy preference data, DPO vs PPO vs best-of-4 (with the SFT model as a reference row), reward
/// models of two sizes (world-small, 1M parameters, and world-base, 5M, with its own base and SFT models) and the
/// World's gold judge (a perfect reward model: the ceiling a better RM can approach), and mixed vs reasoning-only PPO
/// prompts. Secondary levels are crossed with the primary ones only (exclude rules) to keep the study inside 15
/// minutes on 2 cores. Nothing here is tuned so that the paper's conclusions come out: the report shows whatever the
/// runs measure.
/// </summary>
public static class DemoGrid
{
    public static string Text(bool quick) => quick ? Quick(WorldRecipes.Quick) : Full(WorldRecipes.Demo);

    static string Head(WorldRecipe r) => $$"""
        world: { seed: 1, scale: {{WorldSize.Name(r.Scale)}} }
        pretrain: { preset: {{r.Preset}}, data: world:pretrain, {{WorldRecipe.GridOptions(r.Pretrain)}}, max-length: {{r.MaxLength}} }
        sft: { data: world:sft, {{WorldRecipe.GridOptions(r.Sft)}}, max-length: {{r.MaxLength}} }
        """;

    static string Fixed(WorldRecipe r, int ppoSaveEvery) => $$"""
        fixed:
          dpo: { max-length: {{r.MaxLength}}, beta: {{WorldRecipe.Number(r.DpoBeta)}}, {{WorldRecipe.GridOptions(r.Dpo)}} }
          ppo: { {{WorldRecipe.GridOptions(r.Ppo)}}, save-every: {{ppoSaveEvery}} }
          reward_model: { {{WorldRecipe.GridOptions(r.RewardModel)}}, max-length: {{r.MaxLength}} }
        """;

    /// <summary>The study: 2 seeds of 12 runs.</summary>
    static string Full(WorldRecipe r) => $$"""
        name: demo
        {{Head(r)}}
        data:
          clean: world:pairwise
          noisy: world:hh
        algorithm:
          dpo: {}
          ppo: {}
          bon4: { type: best-of-n, n: 4 }
          sft: {}
        reward_model:
          rm: {}
          rm-base: { preset: world-base }
          gold: { gold: true }
        prompts:
          mixed: world:mixed
          reasoning: world:reasoning
        {{Fixed(r, ppoSaveEvery: 4)}}
        evaluation: { suite: world }
        rm_evaluation: { suite: world, world-pairs: 2 }
        seeds: [1, 2]
        exclude:
          - { algorithm: bon4, reward_model: gold }
          - { prompts: reasoning, data: noisy }
          - { prompts: reasoning, reward_model: gold }
          - { prompts: reasoning, reward_model: rm-base }
          - { data: noisy, reward_model: rm-base }
        """;

    /// <summary>The same questions at the smallest size that still runs every stage: one seed, one reward model,
    /// one prompt set, shorter training, 10 evaluation items a category.</summary>
    static string Quick(WorldRecipe r) => $$"""
        name: demo-quick
        {{Head(r)}}
        data:
          clean: world:pairwise
          noisy: world:hh
        algorithm:
          dpo: {}
          ppo: {}
          sft: {}
        reward_model:
          rm: {}
        prompts:
          mixed: world:mixed
        {{Fixed(r, ppoSaveEvery: 1)}}
        evaluation: { suite: world, limit: 10 }
        rm_evaluation: { suite: world, world-pairs: 1 }
        seeds: [1]
        """;
}
