using System.Text.Json.Nodes;
using PrefLab.Models;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

public class ScalarHeadTests
{
    [Fact]
    public void Last_token_index_comes_from_the_mask()
    {
        using var mask = tensor(new long[,] { { 1, 1, 1, 0, 0 }, { 0, 0, 1, 1, 1 }, { 1, 0, 0, 0, 0 }, { 1, 1, 1, 1, 1 } });
        using var index = ScalarHeadModel.LastTokenIndex(mask);
        Assert.Equal(new long[] { 2, 4, 0, 4 }, index.data<long>().ToArray());
        // Segment ids (a packed row) and bool masks mark real tokens the same way.
        using var segments = tensor(new long[,] { { 1, 1, 2, 2, 0 } });
        using var segmentIndex = ScalarHeadModel.LastTokenIndex(segments);
        Assert.Equal(new long[] { 3 }, segmentIndex.data<long>().ToArray());
        using var flags = tensor(new bool[] { true, true, false }).unsqueeze(0);
        using var flagIndex = ScalarHeadModel.LastTokenIndex(flags);
        Assert.Equal(new long[] { 1 }, flagIndex.data<long>().ToArray());
    }

    [Fact]
    public void A_reward_model_built_from_a_causal_lm_keeps_the_backbone_and_draws_a_new_head()
    {
        using var causal = CausalLM.Load(Folder("llama"));
        using var reward = ScalarHeadModel.FromCausalLM(Folder("llama"), seed: 7);
        var backbone = causal.named_parameters().Where(p => p.name.StartsWith("model.")).ToList();
        var rewardParameters = reward.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(backbone.Count + 1, rewardParameters.Count); // + score.weight, no lm_head
        foreach (var (name, parameter) in backbone) Assert.True(parameter.equal(rewardParameters[name]).all().item<bool>(), name);
        Assert.Equal(new long[] { 1, 24 }, reward.ScoreWeight.shape);
        Assert.Null(reward.named_parameters().Select(p => p.name).FirstOrDefault(n => n.StartsWith("lm_head")));
        using var again = ScalarHeadModel.FromCausalLM(Folder("llama"), seed: 7);
        using var other = ScalarHeadModel.FromCausalLM(Folder("llama"), seed: 8);
        Assert.True(reward.ScoreWeight.equal(again.ScoreWeight).all().item<bool>());
        Assert.False(reward.ScoreWeight.equal(other.ScoreWeight).all().item<bool>());
    }

    [Fact]
    public void A_new_score_head_has_std_one_over_sqrt_hidden_plus_one()
    {
        var config = PrefLab.Models.Presets.ModelPresets.Create("llama-30m", new PrefLab.Models.Presets.TokenizerFacts(64, 1, 2, 0)) with { NumLayers = 1 };
        using var model = ScalarHeadModel.Create(config, seed: 3);
        double std = model.ScoreWeight.std().item<float>();
        Assert.InRange(std, 0.85 / Math.Sqrt(513), 1.15 / Math.Sqrt(513));
    }

    [Fact]
    public void Saved_as_sequence_classification_with_one_label_and_reloaded_with_the_same_scores()
    {
        using var dir = new TempDir();
        using var reward = ScalarHeadModel.FromCausalLM(Folder("qwen3"), seed: 1);
        reward.Save(dir.Path, new ModelSaveOptions { PadTokenId = 2 });
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        Assert.Equal(2, config["pad_token_id"]!.GetValue<int>());
        Assert.Equal("Qwen3ForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal(1, config["num_labels"]!.GetValue<int>());
        Assert.Contains("score.weight", ReadAll(dir.Path).Keys);
        Assert.DoesNotContain("lm_head.weight", ReadAll(dir.Path).Keys);
        using var reloaded = ScalarHeadModel.Load(dir.Path);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, mask) = Batch(new[] { new long[] { 5, 6, 7 }, new long[] { 9, 3, 4, 8, 2 } }, left: true);
        Assert.Equal(0.0, MaxAbsDiff(reward.Scores(ids, mask), reloaded.Scores(ids, mask)));
        // Per-token values [B, T] agree with the sequence score at the last real token.
        var values = reloaded.TokenValues(ids, mask);
        Assert.Equal(new long[] { 2, 5 }, values.shape);
        Assert.True(MaxAbsDiff(values.select(1, 4), reloaded.Scores(ids, mask)) < 1e-6);
    }
}
