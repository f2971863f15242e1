namespace PrefLab.Cli.Lab;

/// <summary>
/// The grid <c>preflab demo</c> runs: the paper's four components on a Preference World, sized for a 2-core laptop.
/// Recipes are the World's (a 1M-parameter model needs far larger learning rates than the paper's 13B ones); the
/// levels are the paper's questions: clean vs noisy preference data, DPO vs PPO vs best-of-4 (with the SFT model as
/// a reference row), reward models of two sizes (world-small, 1M parameters, and world-base, 5M, with its own base
/// and SFT models) and the World's gold judge (a perfect reward model: the ceiling a better RM can approach), and
/// mixed vs reasoning-only PPO prompts. Secondary levels are crossed with the primary ones only (exclude rules) to
/// keep the study inside 15 minutes on 2 cores. The recipes are those of the World learnability tests. Nothing here is tuned so that
/// the paper's conclusions come out: the report shows whatever the runs measure.
/// </summary>
public static class DemoGrid
{
    public static string Text(bool quick) => quick ? Quick : Full;

    /// <summary>The study: 2 seeds of 12 runs.</summary>
    const string Full = """
        name: demo
        world: { seed: 1, scale: small }
        pretrain: { preset: world-small, data: world:pretrain, epochs: 4, batch-size: 16, lr: 3.0e-3, warmup-ratio: 0.02, lr-schedule: cosine, min-lr-ratio: 0.1, max-length: 128, log-every: 10 }
        sft: { data: world:sft, epochs: 6, batch-size: 16, lr: 1.0e-3, warmup-ratio: 0.03, max-length: 128, log-every: 10 }
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
        fixed:
          dpo: { max-length: 128, beta: 0.1, epochs: 6, batch-size: 8, grad-accum: 2, lr: 3.0e-5, warmup-ratio: 0.1, log-every: 5 }
          ppo: { kl-coef: 0.05, lr: 1.0e-4, rollout-batch-size: 32, ppo-epochs: 4, num-minibatches: 2, max-new-tokens: 48, total-episodes: 384, save-every: 4 }
          reward_model: { epochs: 4, batch-size: 8, lr: 3.0e-4, max-length: 128, log-every: 10 }
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

    /// <summary>The same questions at the smallest size that still learns something: one seed, one reward model,
    /// one prompt set, shorter training, 10 evaluation items a category.</summary>
    const string Quick = """
        name: demo-quick
        world: { seed: 1, scale: small }
        pretrain: { preset: world-small, data: world:pretrain, epochs: 2, batch-size: 16, lr: 3.0e-3, warmup-ratio: 0.02, lr-schedule: cosine, min-lr-ratio: 0.1, max-length: 128, log-every: 10 }
        sft: { data: world:sft, epochs: 3, batch-size: 16, lr: 1.0e-3, warmup-ratio: 0.03, max-length: 128, log-every: 10 }
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
        fixed:
          dpo: { max-length: 128, beta: 0.1, epochs: 3, batch-size: 8, grad-accum: 2, lr: 3.0e-5, warmup-ratio: 0.1, log-every: 5 }
          ppo: { kl-coef: 0.05, lr: 1.0e-4, rollout-batch-size: 32, ppo-epochs: 4, num-minibatches: 2, max-new-tokens: 32, total-episodes: 96, save-every: 1 }
          reward_model: { epochs: 4, batch-size: 8, lr: 3.0e-4, max-length: 128, log-every: 10 }
        evaluation: { suite: world, limit: 10 }
        rm_evaluation: { suite: world, world-pairs: 1 }
        seeds: [1]
        """;
}
