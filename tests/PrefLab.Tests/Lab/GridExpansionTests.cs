using PrefLab.Lab.Grid;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Lab;

public class GridExpansionTests
{
    static IReadOnlyList<GridRun> Expand(TempDir dir, string text) => GridExpansion.Expand(GridFile.Load(LabGrids.Write(dir, text)));

    [Fact]
    public void Study_expands_to_the_applicable_product_with_seeds_outermost()
    {
        using var dir = new TempDir();
        var runs = Expand(dir, LabGrids.Study);
        // dpo: 2 datasets; ppo: rm-small on each dataset x 2 prompt sets + rm-large (on good) x 2 prompt sets;
        // best-of-4: rm-small on each dataset + rm-large; sft: 1. Twelve configurations, three seeds.
        Assert.Equal(36, runs.Count);
        Assert.Equal(6, runs.Count(r => r.Type == AlgorithmType.Dpo));
        Assert.Equal(18, runs.Count(r => r.Type == AlgorithmType.Ppo));
        Assert.Equal(9, runs.Count(r => r.Type == AlgorithmType.BestOfN));
        Assert.Equal(3, runs.Count(r => r.Type == AlgorithmType.Sft));
        Assert.All(runs.Take(12), r => Assert.Equal(1, r.Seed));
        Assert.All(runs.Skip(24), r => Assert.Equal(3, r.Seed));
        Assert.Equal(Enumerable.Range(0, 36), runs.Select(r => r.Index));
    }

    [Fact]
    public void The_documented_example_grid_is_valid_and_expands_as_described()
    {
        using var dir = new TempDir();
        var runs = Expand(dir, LabGrids.DocumentedExample);
        // Per seed: dpo 3 + ipo 3 + ppo (rm-base x 3 datasets + rm-large + gold) x 2 prompt sets - 2 excluded (hh)
        // + best-of-16 (rm-base x 3 + rm-large + gold) + sft 1 = 20 configurations.
        Assert.Equal(60, runs.Count);
        Assert.Equal(24, runs.Count(r => r.Type == AlgorithmType.Ppo));
        Assert.Equal(9, runs.Count(r => r.Labels.RewardModel == "gold")); // ppo x 2 prompt sets + best-of-16, 3 seeds
        Assert.All(runs.Where(r => r.Labels.RewardModel == "gold"), r => Assert.Null(r.Labels.Data));
        var rmLarge = runs.First(r => r.Labels.RewardModel == "rm-large").Resolved;
        Assert.Equal(1e-5, rmLarge.GetDouble("reward_model.lr"));
        Assert.Equal("mean-aspects", rmLarge.GetString("data.binarize"));
    }

    [Fact]
    public void Dpo_runs_are_not_duplicated_across_reward_models_or_prompts_and_carry_neither()
    {
        using var dir = new TempDir();
        var dpo = Expand(dir, LabGrids.Study).Where(r => r.Type == AlgorithmType.Dpo).ToList();
        Assert.Equal(6, dpo.Select(r => (r.Labels.Data, r.Seed)).Distinct().Count());
        Assert.All(dpo, r =>
        {
            Assert.Null(r.Labels.RewardModel);
            Assert.Null(r.Labels.Prompts);
            Assert.DoesNotContain(r.Resolved.Keys, k => k.StartsWith("reward_model.", StringComparison.Ordinal) || k.StartsWith("prompts.", StringComparison.Ordinal));
        });
        var sft = Expand(dir, LabGrids.Study).Where(r => r.Type == AlgorithmType.Sft).ToList();
        Assert.All(sft, r => Assert.Equal(new RunLabels(null, "sft", null, null), r.Labels));
    }

    [Fact]
    public void A_reward_model_with_its_own_data_fixes_the_runs_dataset_and_is_not_duplicated_across_data()
    {
        using var dir = new TempDir();
        var large = Expand(dir, LabGrids.Study).Where(r => r.Labels.RewardModel == "rm-large").ToList();
        Assert.Equal(9, large.Count); // ppo x 2 prompt sets x 3 seeds + best-of-4 x 3 seeds
        Assert.All(large, r => Assert.Equal("good", r.Labels.Data));
        Assert.All(large, r => Assert.Equal("world:good", r.Resolved.GetString("data.file")));
        Assert.All(large, r => Assert.Equal("large", r.Resolved.GetString("reward_model.preset")));
        // Its own preset needs pretraining of that preset: the pretrain settings are part of the run.
        Assert.All(large, r => Assert.Equal("tiny", r.Resolved.GetString("pretrain.preset")));
        var small = Expand(dir, LabGrids.Study).Where(r => r.Labels.RewardModel == "rm-small" && r.Type == AlgorithmType.Ppo).ToList();
        Assert.Equal(["good", "noisy"], small.Select(r => r.Labels.Data!).Distinct().Order());
    }

    [Fact]
    public void Exclude_drops_matching_runs_and_include_readmits_them()
    {
        using var dir = new TempDir();
        string excluded = LabGrids.Study.Replace("seeds: [1, 2, 3]", """
            seeds: [1, 2, 3]
            exclude:
              - { algorithm: ppo, prompts: reasoning }
              - { algorithm: sft, seed: [2, 3] }
            """);
        var runs = Expand(dir, excluded);
        Assert.Equal(36 - 9 - 2, runs.Count);
        Assert.DoesNotContain(runs, r => r.Labels.Algorithm == "ppo" && r.Labels.Prompts == "reasoning");
        Assert.Single(runs, r => r.Type == AlgorithmType.Sft);

        string readmitted = excluded + "\ninclude:\n  - { algorithm: ppo, prompts: reasoning, data: good }\n";
        var withInclude = Expand(dir, readmitted);
        // rm-small on good and rm-large (whose data is good) come back: 2 configurations x 3 seeds.
        Assert.Equal(36 - 9 - 2 + 6, withInclude.Count);
        Assert.All(withInclude.Where(r => r.Labels.Prompts == "reasoning"), r => Assert.Equal("good", r.Labels.Data));
    }

    [Fact]
    public void Changing_one_factor_changes_only_that_setting_of_every_run()
    {
        using var dir = new TempDir();
        var before = Expand(dir, LabGrids.Study);
        var afterBeta = Expand(dir, LabGrids.Study.Replace("dpo: { beta: 0.1 }", "dpo: { beta: 0.2 }"));
        var afterBinarize = Expand(dir, LabGrids.Study.Replace("binarize: mean-aspects", "binarize: overall"));
        var afterLr = Expand(dir, LabGrids.Study.Replace("lr: 1.0e-6", "lr: 2.0e-6"));
        Assert.Equal(before.Count, afterBeta.Count);

        static string[] Changed(GridRun a, GridRun b)
        {
            Assert.Equal(a.Labels, b.Labels);
            return a.Resolved.Keys.Union(b.Resolved.Keys)
                .Where(k => (a.Resolved[k]?.ToJsonString()) != (b.Resolved[k]?.ToJsonString())).Order().ToArray();
        }
        string[] none = [];

        for (int i = 0; i < before.Count; i++)
        {
            var run = before[i];
            Assert.Equal(run.Type == AlgorithmType.Dpo ? ["algorithm.beta"] : none, Changed(run, afterBeta[i]));
            Assert.Equal(run.Labels.Data == "good" ? ["data.binarize"] : none, Changed(run, afterBinarize[i]));
            Assert.Equal(run.Type.TrainsPolicy() ? ["algorithm.lr"] : none, Changed(run, afterLr[i]));
        }
        Assert.Equal(0.1, before[0].Resolved.GetDouble("algorithm.beta"));
        Assert.Equal(0.2, afterBeta[0].Resolved.GetDouble("algorithm.beta"));
    }

    [Fact]
    public void Fixed_options_merge_global_then_per_type_then_level()
    {
        using var dir = new TempDir();
        var runs = Expand(dir, LabGrids.Study.Replace("  ppo: { kl-coef: 0.05 }", "  ppo: { kl-coef: 0.05, lr: 3.0e-6 }")
            .Replace("  ppo: {}", "  ppo: { kl-coef: 0.1 }"));
        var ppo = runs.First(r => r.Type == AlgorithmType.Ppo).Resolved;
        Assert.Equal(0.1, ppo.GetDouble("algorithm.kl-coef"));   // the level wins over fixed.ppo
        Assert.Equal(3e-6, ppo.GetDouble("algorithm.lr"));       // fixed.ppo wins over fixed
        Assert.Equal(6, ppo.GetLong("algorithm.max-steps"));     // fixed applies to every algorithm
        var dpo = runs.First(r => r.Type == AlgorithmType.Dpo).Resolved;
        Assert.Equal(1e-6, dpo.GetDouble("algorithm.lr"));
        Assert.False(dpo.Contains("algorithm.kl-coef"));
        var bon = runs.First(r => r.Type == AlgorithmType.BestOfN).Resolved;
        Assert.Equal(["algorithm", "algorithm.n"], bon.Keys.Where(k => k.StartsWith("algorithm", StringComparison.Ordinal))); // trains nothing: no trainer options
    }

    [Fact]
    public void Two_levels_that_resolve_identically_and_grids_that_expand_to_nothing_are_refused()
    {
        using var dir = new TempDir();
        var twin = Assert.Throws<UserError>(() => Expand(dir, LabGrids.DpoOnly.Replace("  good: world:good", "  good: world:good\n  same: world:good")));
        Assert.Contains("resolve to the same settings", twin.Message);
        var empty = Assert.Throws<UserError>(() => Expand(dir, LabGrids.DpoOnly + "\nexclude:\n  - { algorithm: dpo }\n"));
        Assert.Contains("expands to no run", empty.Message);
    }
}
