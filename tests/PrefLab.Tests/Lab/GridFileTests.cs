using PrefLab.Lab.Grid;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Lab;

public class GridFileTests
{
    [Fact]
    public void Study_grid_parses_levels_types_options_and_defaults()
    {
        using var dir = new TempDir();
        var grid = GridFile.Load(LabGrids.Write(dir, LabGrids.Study));
        Assert.Equal("study", grid.Name);
        Assert.Equal(["noisy", "good"], grid.Data.Select(d => d.Name));
        Assert.Equal("""{"file":"world:noisy"}""", grid.Data[0].Settings.ToCanonicalJson());
        Assert.Equal("""{"binarize":"mean-aspects","file":"world:good"}""", grid.Data[1].Settings.ToCanonicalJson());
        Assert.Equal([AlgorithmType.Dpo, AlgorithmType.Ppo, AlgorithmType.BestOfN, AlgorithmType.Sft], grid.Algorithms.Select(a => a.Type));
        Assert.Equal("""{"n":4}""", grid.Algorithms[2].Options.ToCanonicalJson());
        Assert.Equal("""{"beta":0.1}""", grid.Algorithms[0].Options.ToCanonicalJson());
        // max_steps is read as the option max-steps; 1.0e-6 as a number; the lab's own defaults fill the rest.
        Assert.Equal("""{"data":"world:sft","max-steps":4,"seed":1}""", grid.Sft.ToCanonicalJson());
        Assert.Equal("""{"lr":1E-06,"max-steps":6}""", grid.Fixed.ToCanonicalJson());
        Assert.Equal("""{"kl-coef":0.05}""", grid.FixedByType[AlgorithmType.Ppo].ToCanonicalJson());
        Assert.Equal("""{"suite":"world"}""", grid.Evaluation.ToCanonicalJson());
        Assert.Equal("""{"suite":"world"}""", grid.RmEvaluation!.ToCanonicalJson());
        Assert.Equal([1L, 2L, 3L], grid.Seeds);
        var large = grid.RewardModels[1];
        Assert.Equal(("good", "large", false), (large.DataName, large.Preset, large.Gold));
        Assert.Null(grid.RewardModels[0].DataName);
    }

    [Fact]
    public void Json_grid_reads_the_same_as_yaml_and_keeps_line_numbers()
    {
        using var dir = new TempDir();
        var yaml = GridFile.Load(LabGrids.Write(dir, LabGrids.DpoOnly));
        string json = """
            {
              "name": "dpo-only",
              "world": {"seed": 7},
              "pretrain": {"preset": "tiny", "data": "world:pretrain", "max-steps": 3},
              "sft": {"data": "world:sft", "max-steps": 3},
              "data": {"good": "world:good"},
              "algorithm": ["dpo"],
              "seeds": [1, 2]
            }
            """;
        var fromJson = GridFile.Load(LabGrids.Write(dir, json.Replace("  ", "\t"), "grid.json"));
        Assert.Equal(GridExpansion.Expand(yaml).Select(r => r.Resolved), GridExpansion.Expand(fromJson).Select(r => r.Resolved));

        var error = Assert.Throws<UserError>(() => GridFile.Load(LabGrids.Write(dir, json.Replace("\"seeds\": [1, 2]", "\"seeds\": [1, 1]"), "bad.json")));
        Assert.Equal($"{dir.File("bad.json")}:8: field 'seeds': seed 1 appears twice", error.Message);
    }

    public static TheoryData<string, string, int, string> Errors => new()
    {
        // (what to replace in the study grid, with what, expected line, expected field and text)
        { "name: study", "name: study\nbogus: 1", 2, "field 'bogus': unknown section" },
        { "  ppo: {}", "  ppo: { type: dqn }", 10, "field 'algorithm.ppo.type': 'dqn' is not an algorithm type" },
        { "  bon4: { type: best-of-n, n: 4 }", "  bon4: { type: best-of-n }", 11, "field 'algorithm.bon4.n': missing" },
        { "  bon4: { type: best-of-n, n: 4 }", "  bon4: { type: best-of-n, n: 0 }", 11, "field 'algorithm.bon4.n': expected a whole number ≥ 1" },
        { "binarize: mean-aspects", "binarize: median", 7, "field 'data.good.binarize': 'median' is not one of mean-aspects, overall, best-random, best-worst, all-pairs" },
        { "  noisy: world:noisy", "  noisy: missing.jsonl", 6, "field 'data.noisy': file not found: missing.jsonl" },
        { "  lr: 1.0e-6", "  lr: 1.0e-6\n  seed: 3", 22, "field 'fixed.seed': 'seed' is set by the lab" },
        { "  ppo: { kl-coef: 0.05 }", "  dqn: { kl-coef: 0.05 }", 22, "field 'fixed.dqn': unknown section" },
        { "seeds: [1, 2, 3]", "seeds: [1, -2]", 24, "field 'seeds': expected a whole number ≥ 0" },
        { "seeds: [1, 2, 3]", "seeds: [1]\nexclude:\n  - { data: hh }", 26, "field 'exclude.data': 'hh' is not a level of data (noisy, good)" },
        { "seeds: [1, 2, 3]", "seeds: [1]\nexclude:\n  - { model: x }", 26, "field 'exclude.model': not a factor" },
        { "  rm-large: { preset: large, data: good }", "  rm-large: { preset: large, data: nothere }", 15, "field 'reward_model.rm-large.data': 'nothere' is neither a dataset" },
        { "  lr: 1.0e-6", "  lr: .nan", 21, "field 'fixed.lr': '.nan' is not a finite number" },
        { "prompts:\n  mixed: world:mixed\n  reasoning: world:reasoning\n", "", 10, "field 'algorithm.ppo': ppo samples prompts while training: add a `prompts` factor" },
        { "world: { seed: 7, scale: small }\n", "", 2, "field 'pretrain.data': 'world:pretrain' refers to a World but the grid has no `world` section" },
        { "sft: { data: world:sft, max_steps: 4 }", "sft: { data: world:sft, max_steps: 4, max-steps: 5 }", 4, "field 'sft': an option appears twice" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Errors_name_the_file_line_and_key(string find, string replace, int line, string expected)
    {
        using var dir = new TempDir();
        Assert.Contains(find, LabGrids.Study);
        string path = LabGrids.Write(dir, LabGrids.Study.Replace(find, replace));
        var error = Assert.Throws<UserError>(() => GridFile.Load(path));
        Assert.StartsWith($"{path}:{line}: {expected}", error.Message);
    }

    [Fact]
    public void Missing_sections_and_unusable_combinations_are_refused_with_their_key()
    {
        using var dir = new TempDir();
        var noAlgorithm = Assert.Throws<UserError>(() => GridFile.Load(LabGrids.Write(dir, "sft: { model: . }\n")));
        Assert.Contains("field 'algorithm': missing", noAlgorithm.Message);

        var noRewardModel = Assert.Throws<UserError>(() => GridFile.Load(LabGrids.Write(dir, """
            world: { seed: 1 }
            sft: { model: . }
            algorithm: [ppo]
            prompts: { mixed: world:mixed }
            """)));
        Assert.Contains(":3: field 'algorithm.ppo': ppo needs a `reward_model` factor", noRewardModel.Message);

        var noData = Assert.Throws<UserError>(() => GridFile.Load(LabGrids.Write(dir, """
            world: { seed: 1 }
            sft: { model: . }
            algorithm: [dpo]
            """)));
        Assert.Contains(":3: field 'algorithm.dpo': dpo learns from preference data: add a `data` factor", noData.Message);

        var sftWithoutBase = Assert.Throws<UserError>(() => GridFile.Load(LabGrids.Write(dir, """
            world: { seed: 1 }
            sft: { data: world:sft }
            algorithm: [sft]
            """)));
        Assert.Contains(":2: field 'pretrain': missing", sftWithoutBase.Message);

        var malformed = Assert.Throws<UserError>(() => GridFile.Load(LabGrids.Write(dir, "sft: [unclosed\n")));
        Assert.StartsWith(dir.File("grid.yaml") + ":", malformed.Message);
        Assert.Contains("not valid YAML/JSON", malformed.Message);
    }
}
