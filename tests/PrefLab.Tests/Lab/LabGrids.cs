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
