using PrefLab.Lab.Execution;
using PrefLab.Lab.Report;

namespace PrefLab.Tests.Lab;

/// <summary>Grid files the lab tests share, and helpers to run them with the fake executor.</summary>
public static class LabGrids
{
    /// <summary>
    /// All four components on a (fake) World: two datasets (noisy, good), DPO, PPO, best-of-4 and the SFT reference,
    /// a reward model trained on each run's data and a large one on "good", two prompt sets, three seeds.
    /// Expands to 12 configurations × 3 seeds = 36 runs.
    /// </summary>
    public const string Study = """
        name: study
        world: { seed: 7, scale: small }
        pretrain: { preset: tiny, data: world:pretrain, max-steps: 4 }
        sft: { data: world:sft, max_steps: 4 }
        data:
          noisy: world:noisy
          good: { file: world:good, binarize: mean-aspects }
        algorithm:
          dpo: { beta: 0.1 }
          ppo: {}
          bon4: { type: best-of-n, n: 4 }
          sft: {}
        reward_model:
          rm-small: {}
          rm-large: { preset: large, data: good }
        prompts:
          mixed: world:mixed
          reasoning: world:reasoning
        fixed:
          max-steps: 6
          lr: 1.0e-6
          ppo: { kl-coef: 0.05 }
        evaluation: { suite: world }
        seeds: [1, 2, 3]
        """;

    /// <summary>The example grid of the lab's documentation (README); a test keeps it valid.</summary>
    public const string DocumentedExample = """
        # four-components.yaml: the report compares one factor at a time
        name: four-components
        world: { seed: 1, scale: small }          # generate a Preference World (or: world: path/to/WORLD)
        pretrain: { preset: world-base, data: world:pretrain, max-steps: 2000 }   # or: pretrain: { model: path/to/hf-model }
        sft: { data: world:sft, epochs: 2 }                                        # or: sft: { model: path/to/sft-model }
        data:                                      # 1. preference data: a file or world:NAME, and its binarization
          uf-mean:    { file: world:ultrafeedback, binarize: mean-aspects }
          uf-overall: { file: world:ultrafeedback, binarize: overall }
          hh:         world:hh
        algorithm:                                 # 2. learning algorithm (type defaults to the level's name)
          dpo:   { beta: 0.1 }
          ipo:   { type: dpo, loss: ipo }
          ppo:   {}
          bon16: { type: best-of-n, n: 16 }
          sft:   {}                                # the SFT model itself: a reference row
        reward_model:                              # 3. used by ppo, rloo, grpo and best-of-n only
          rm-base:  {}                             # trained on each run's dataset, from the SFT model
          rm-large: { preset: world-large, data: uf-mean }
          gold:     { gold: true }                 # the World's gold scorer
        prompts:                                   # 4. used by ppo, rloo and grpo only
          mixed:     world:mixed
          reasoning: world:reasoning
        fixed:                                     # trainer options by their command-line names
          lr: 5.0e-7
          dpo: { epochs: 3 }
          ppo: { max-steps: 200, kl-coef: 0.05 }
          reward_model: { epochs: 1, lr: 1.0e-5 }
        evaluation: { suite: world }               # the default on a World
        rm_evaluation: { suite: world }            # the default on a World
        seeds: [1, 2, 3]
        exclude:
          - { algorithm: ppo, data: hh }
        """;

    /// <summary>The study at one seed: 12 runs, 31 nodes (for tests that run it several times).</summary>
    public static readonly string StudyOneSeed = Study.Replace("seeds: [1, 2, 3]", "seeds: [1]");

    /// <summary>DPO only, one dataset: analyses 2-4 have nothing to show.</summary>
    public const string DpoOnly = """
        name: dpo-only
        world: { seed: 7 }
        pretrain: { preset: tiny, data: world:pretrain, max-steps: 3 }
        sft: { data: world:sft, max-steps: 3 }
        data:
          good: world:good
        algorithm: [dpo]
        seeds: [1, 2]
        """;

    public static string Write(TempDir dir, string text, string name = "grid.yaml")
    {
        string path = dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    public static LabRunOptions Quiet(CancellationToken cancellation = default, bool keepGoing = false, TextWriter? log = null) =>
        new() { ShowProgress = false, Cancellation = cancellation, KeepGoing = keepGoing, Log = log };

    public static LabReportOptions FastReport(bool plots = false) =>
        new() { Bootstrap = new() { Resamples = 500, Seed = 0 }, Plots = plots };
}
