using PrefLab.Lab.Recipes;
using PrefLab.Models.Layers;
using PrefLab.World;

namespace PrefLab.Cli.Lab;

/// <summary>
/// The grid <c>preflab demo</c> runs: the paper's four components on a Preference World, sized for a 2-core laptop.
/// The recipes are <see cref="WorldRecipes"/> (shared with the learnability tests); the levels are the paper's
/// questions: clean vs noisy preference data, DPO vs PPO vs best-of-4 (with the SFT model as a reference row), a
/// trained reward model beside the World's gold judge (a perfect reward model: the ceiling a better RM can approach;
/// <c>--large-reward-model</c> adds a second RM size, world-base), and mixed vs reasoning-only PPO prompts. Secondary
/// levels are crossed with the primary ones only (exclude rules) to keep the study inside 15 minutes on 2 cores.
/// Nothing here is tuned so that the paper's conclusions come out: the report shows whatever the runs measure.
/// </summary>
public static class DemoGrid
{
    /// <param name="quick">The small study of <see cref="WorldRecipes.Quick"/>.</param>
    /// <param name="precision">The training nodes' matrix products (<c>--precision</c>); fp32 adds no setting, so its
    /// nodes are the ones earlier demos ran.</param>
    /// <param name="largeRewardModel">Add the world-base reward model (5M parameters, with its own base and SFT
    /// models trained by the same recipe): the paper's reward-model-size question, at about five times world-small's
    /// pretraining cost, which does not fit the full demo's 15 minutes on 2 cores.</param>
    public static string Text(bool quick, bool largeRewardModel = false, LinearPrecision precision = LinearPrecision.Fp32) =>
        quick ? Quick(WorldRecipes.Quick, precision) : Full(WorldRecipes.Demo, largeRewardModel, precision);

    /// <summary>", precision: bf16" for bf16 training nodes; nothing for fp32 (the commands' default).</summary>
    static string P(LinearPrecision precision) => precision == LinearPrecision.Fp32 ? "" : $", precision: {ComputePrecision.Name(precision)}";

    static string Head(WorldRecipe r, LinearPrecision precision) => $$"""
        world: { seed: 1, scale: {{WorldSize.Name(r.Scale)}} }
        pretrain: { preset: {{r.Preset}}, data: world:pretrain, eval-data: world:pretrain-heldout, {{WorldRecipe.GridOptions(r.Pretrain)}}, max-length: {{r.MaxLength}}{{P(precision)}} }
        sft: { data: world:sft, {{WorldRecipe.GridOptions(r.Sft)}}, max-length: {{r.MaxLength}}{{P(precision)}} }
        """;

    static string Fixed(WorldRecipe r, int ppoSaveEvery, LinearPrecision precision) => $$"""
        fixed:
          dpo: { max-length: {{r.MaxLength}}, beta: {{WorldRecipe.Number(r.DpoBeta)}}, {{WorldRecipe.GridOptions(r.Dpo)}}{{P(precision)}} }
          ppo: { {{WorldRecipe.GridOptions(r.Ppo)}}, save-every: {{ppoSaveEvery}}{{P(precision)}} }
          reward_model: { {{WorldRecipe.GridOptions(r.RewardModel)}}, max-length: {{r.MaxLength}}{{P(precision)}} }
        """;

    /// <summary>The study: 3 seeds of every run. The primary comparison is data (clean, noisy) x algorithm (DPO, PPO,
    /// best-of-4, SFT); PPO with the gold judge (the ceiling) and with reasoning prompts are crossed with the clean
    /// data only; best-of-4 with the gold judge is the reranking ceiling.</summary>
    static string Full(WorldRecipe r, bool largeRewardModel, LinearPrecision precision) => $$"""
        name: demo
        {{Head(r, precision)}}
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
        {{(largeRewardModel ? "  rm-base: { preset: world-base }\n" : "")}}  gold: { gold: true }
        prompts:
          mixed: world:mixed
          reasoning: world:reasoning
        {{Fixed(r, ppoSaveEvery: 50, precision)}}
        evaluation: { suite: world, limit: 40 }
        rm_evaluation: { suite: world, world-pairs: 1 }
        seeds: [1, 2, 3]
        exclude:
          - { data: noisy, reward_model: gold }
          - { prompts: reasoning, data: noisy }
          - { prompts: reasoning, reward_model: gold }
          - { prompts: reasoning, seed: 2 }
          - { prompts: reasoning, seed: 3 }
        {{(largeRewardModel ? "  - { prompts: reasoning, reward_model: rm-base }\n  - { data: noisy, reward_model: rm-base }\n" : "")}}
        """;

    /// <summary>The same questions at the smallest size that still runs every stage: one seed, one reward model,
    /// one prompt set, shorter training, 10 evaluation items a category.</summary>
    static string Quick(WorldRecipe r, LinearPrecision precision) => $$"""
        name: demo-quick
        {{Head(r, precision)}}
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
        {{Fixed(r, ppoSaveEvery: 1, precision)}}
        evaluation: { suite: world, limit: 10 }
        rm_evaluation: { suite: world, world-pairs: 1 }
        seeds: [1]
        """;
}
