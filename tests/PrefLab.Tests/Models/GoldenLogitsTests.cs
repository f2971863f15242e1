using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

/// <summary>Logits against the independent numpy reference (float64) on checkpoints this code has not seen:
/// Llama (GQA, llama3 rope scaling, head_dim != hidden/heads, biases), Mistral (sliding window, one kv head,
/// sharded), Qwen2 (q/k/v biases, tied, BF16 on disk), Qwen3 (q/k norms, head_dim 16), GPT-2 (Conv1D, F16 on
/// disk, names without "transformer.", attn.bias buffers).</summary>
public class GoldenLogitsTests
{
    const double Tolerance = 1e-4;

    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("gpt2")]
    public void Logits_match_the_numpy_reference(string name)
    {
        using var model = CausalLM.Load(Folder(name));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var expected in Expected(name))
        {
            var positions = expected.PositionIds is null ? null : Ids(expected.PositionIds);
            var logits = model.forward(Ids(expected.Ids), positionIds: positions).squeeze(0);
            Assert.Equal(new long[] { expected.Ids.Length, model.Config.VocabSize }, logits.shape);
            double diff = MaxAbsDiff(logits, ToTensor(expected.Logits));
            Assert.True(diff <= Tolerance, $"{name} ids [{string.Join(",", expected.Ids)}]: max abs diff {diff}");
        }
    }

    [Theory]
    [InlineData("expected-scale_attn_by_inverse_layer_idx.json")]
    [InlineData("expected-scale_attn_weights.json")]
    public void Gpt2_attention_scaling_options_match_the_reference(string file)
    {
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder("gpt2"), file)))!;
        using var dir = new TempDir();
        CopyFolder(Folder("gpt2"), dir.Path);
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        foreach (var (key, value) in expected["config_overrides"]!.AsObject()) config[key] = value?.DeepClone();
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        using var model = CausalLM.Load(dir.Path);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var single = expected["cases"]![0]!;
        var ids = single["ids"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
        var reference = ToTensor(single["logits"]!.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<float>()).ToArray()).ToArray());
        var logits = model.forward(Ids(ids)).squeeze(0);
        Assert.True(MaxAbsDiff(logits, reference) <= Tolerance, file);
        // The option matters: the plain model's reference is far from it.
        Assert.True(MaxAbsDiff(ToTensor(Expected("gpt2")[0].Logits), reference) > 1e-3);
    }

    [Fact]
    public void Without_llama3_rope_scaling_the_llama_reference_is_missed()
    {
        // Negative control: the golden test notices a rope computed without the config's scaling.
        using var dir = new TempDir();
        CopyFolder(Folder("llama"), dir.Path);
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        config.Remove("rope_scaling");
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        using var model = CausalLM.Load(dir.Path);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shifted = Expected("llama").Single(c => c.PositionIds is not null);
        var logits = model.forward(Ids(shifted.Ids), positionIds: Ids(shifted.PositionIds!)).squeeze(0);
        Assert.True(MaxAbsDiff(logits, ToTensor(shifted.Logits)) > 1e-3);
    }

    [Fact]
    public void Reward_model_scores_match_the_reference_with_left_and_right_padding_and_pad_equal_to_eos()
    {
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder("llama-reward"), "expected.json")))!["cases"]!.AsArray();
        var rows = expected.Select(c => c!["ids"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray()).ToArray();
        var scores = expected.Select(c => c!["score"]!.GetValue<double>()).ToArray();
        using var model = ScalarHeadModel.Load(Folder("llama-reward"));
        Assert.Equal(2, model.Config.PadTokenId); // the pad id is the EOS every row ends with
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (bool left in new[] { true, false })
        {
            var (ids, mask) = Batch(rows, left, pad: 2);
            var got = model.Scores(ids, mask).data<float>().ToArray();
            for (int i = 0; i < rows.Length; i++)
                Assert.True(Math.Abs(got[i] - scores[i]) <= Tolerance, $"left={left} row {i}: {got[i]} vs {scores[i]}");
            if (!left)
            {
                // Negative control: the last position of a right-padded row is a pad, not the sequence's end.
                var values = model.TokenValues(ids, mask);
                var atEnd = values.select(1, values.shape[1] - 1).data<float>().ToArray();
                Assert.True(Math.Abs(atEnd[1] - scores[1]) > 1e-3);
                Assert.True(Math.Abs(atEnd[2] - scores[2]) > 1e-3);
            }
        }
    }
}
