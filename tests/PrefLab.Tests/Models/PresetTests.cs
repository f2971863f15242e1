using PrefLab.Models.Layers;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

public class PresetTests
{
    static readonly TokenizerFacts Vocab = new(300, 1, 2, 0);

    [Theory]
    [InlineData("tiny-test", 4_688L)]
    [InlineData("world-small", 1_049_728L)]
    [InlineData("world-base", 5_115_136L)]
    [InlineData("llama-30m", 27_271_680L)]
    [InlineData("qwen3-tiny", 123_328L)]
    [InlineData("gpt2-tiny", 100_096L)]
    [InlineData("mistral-tiny", 98_624L)]
    public void Presets_have_their_stated_non_embedding_parameter_counts(string preset, long nonEmbedding)
    {
        var config = ModelPresets.Create(preset, Vocab);
        using var model = new CausalLM(config);
        Assert.Equal(nonEmbedding, model.NonEmbeddingParameterCount);
        long embedding = (long)config.VocabSize * config.HiddenSize * (config.TieWordEmbeddings ? 1 : 2)
            + (config.Family == PrefLab.Models.Config.ModelFamily.Gpt2 ? (long)config.MaxPositionEmbeddings * config.HiddenSize : 0);
        Assert.Equal(embedding, model.EmbeddingParameterCount);
        Assert.Equal((300, 1, 0), (config.VocabSize, config.BosTokenId, config.PadTokenId));
    }

    [Fact]
    public void The_qwen_preset_is_qwen2_5_0_5b_with_hugging_faces_names_and_counts()
    {
        var config = (PrefLab.Models.Config.Qwen2Config)ModelPresets.Create("qwen2.5-0.5b", Vocab);
        Assert.Equal((151_936, 896, 24, 14, 2, 64, 4864), (config.VocabSize, config.HiddenSize, config.NumLayers, config.NumHeads,
            config.NumKvHeads, config.HeadDim, config.IntermediateSize));
        Assert.True(config.TieWordEmbeddings && config.QkvBias && !config.OutputBias);
        var json = config.ToJson(PrefLab.Models.Config.ModelHead.CausalLM, "float32");
        Assert.Equal("qwen2", json["model_type"]!.GetValue<string>());
        Assert.Equal(1_000_000.0, json["rope_theta"]!.GetValue<double>());
        Assert.Equal(1e-6, json["rms_norm_eps"]!.GetValue<double>());
        Assert.Equal("Qwen2ForCausalLM", json["architectures"]![0]!.GetValue<string>());
        // One layer and a small vocabulary keep the test light; the layer's names and sizes are the full model's.
        using var oneLayer = new CausalLM(config with { NumLayers = 1, VocabSize = 300 });
        var names = oneLayer.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 896 }, names["model.layers.0.self_attn.q_proj.bias"]);
        Assert.Equal(new long[] { 128 }, names["model.layers.0.self_attn.k_proj.bias"]);
        Assert.Equal(new long[] { 128, 896 }, names["model.layers.0.self_attn.v_proj.weight"]);
        Assert.False(names.ContainsKey("model.layers.0.self_attn.o_proj.bias"));
        Assert.False(names.ContainsKey("lm_head.weight"));
        long perLayer = oneLayer.NonEmbeddingParameterCount - 896;                  // minus the final norm
        Assert.Equal(14_912_384L, perLayer);
        long nonEmbedding = 24 * perLayer + 896;
        Assert.Equal(357_898_112L, nonEmbedding);
        Assert.Equal(494_032_768L, nonEmbedding + 151_936L * 896);                  // Qwen2.5-0.5B's parameter count
        var tooLarge = Assert.Throws<UserError>(() => ModelPresets.Create("qwen2.5-0.5b", new TokenizerFacts(200_000, 1, 2, 0)));
        Assert.Contains("--preset", tooLarge.Message);
    }

    [Fact]
    public void An_unknown_preset_names_the_option_and_lists_the_presets()
    {
        var error = Assert.Throws<UserError>(() => ModelPresets.Create("huge", Vocab));
        Assert.Contains("--preset", error.Message);
        Assert.Contains("world-base", error.Message);
    }

    [Fact]
    public void Initialisation_follows_hugging_face_and_the_seed()
    {
        var config = ModelPresets.Create("world-base", Vocab);
        using var model = CausalLM.Create(config, seed: 11);
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        Assert.Equal(0.02, p["model.layers.0.mlp.up_proj.weight"].std().item<float>(), 0.002);
        Assert.Equal(0.0, p["model.layers.0.mlp.up_proj.weight"].mean().item<float>(), 0.001);
        Assert.True(p["model.norm.weight"].eq(1).all().item<bool>());
        Assert.True(p["model.embed_tokens.weight"][0].eq(0).all().item<bool>()); // the padding row
        Assert.False(p["model.embed_tokens.weight"][1].eq(0).all().item<bool>());
        using var same = CausalLM.Create(config, seed: 11);
        using var other = CausalLM.Create(config, seed: 12);
        Assert.True(same.named_parameters().All(x => x.parameter.equal(p[x.name]).all().item<bool>()));
        Assert.False(other.named_parameters().First().parameter.equal(p["model.embed_tokens.weight"]).all().item<bool>());

        using var gpt2 = CausalLM.Create(ModelPresets.Create("gpt2-tiny", Vocab), seed: 1);
        var g = gpt2.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        Assert.True(g["transformer.h.0.attn.c_attn.bias"].eq(0).all().item<bool>());
        Assert.True(g["transformer.ln_f.weight"].eq(1).all().item<bool>());
        double projStd = g["transformer.h.0.mlp.c_proj.weight"].std().item<float>();
        Assert.Equal(0.02 / Math.Sqrt(4), projStd, 0.002); // GPT-2's scaled residual projections
    }

    [Fact]
    public void Tokenizer_facts_come_from_the_vocabulary_added_tokens_and_tokenizer_config()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("tokenizer.json"), """
            {"version":"1.0","added_tokens":[{"id":0,"content":"<pad>","special":true},{"id":41,"content":"<|eos|>","special":true}],
             "model":{"type":"WordLevel","vocab":{"<pad>":0,"<s>":1,"a":2,"b":37},"unk_token":"<s>"}}
            """);
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"bos_token":"<s>","eos_token":{"content":"<|eos|>"},"pad_token":"<pad>"}""");
        Assert.Equal(new TokenizerFacts(42, 1, 41, 0), TokenizerFacts.Read(dir.Path));
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"eos_token":"</s>"}""");
        var error = Assert.Throws<UserError>(() => TokenizerFacts.Read(dir.Path));
        Assert.Contains("eos_token", error.Message);
        Assert.Contains("</s>", error.Message);
    }

    [Fact]
    public void Bf16_linear_layers_change_the_logits_only_a_little()
    {
        using var model = CausalLM.Load(Folder("llama"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = Ids(3, 17, 5, 22);
        var fp32 = model.forward(ids);
        model.Precision.LinearDtype = ScalarType.BFloat16;
        var bf16 = model.forward(ids);
        model.Precision.LinearDtype = null;
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype)); // master weights stay fp32
        double diff = MaxAbsDiff(fp32, bf16);
        Assert.InRange(diff, 1e-4, 0.25); // it did compute in bf16, and stayed close
        Assert.Equal(0.0, MaxAbsDiff(fp32, model.forward(ids)));
    }
}

public class BackwardTests
{
    [Theory]
    [InlineData("tiny-test")]
    [InlineData("qwen3-tiny")]
    [InlineData("gpt2-tiny")]
    [InlineData("mistral-tiny")]
    public void Every_parameter_gets_a_gradient_through_a_padded_batch(string preset)
    {
        var config = ModelPresets.Create(preset, new TokenizerFacts(40, 1, 2, 0));
        using var model = CausalLM.Create(config, seed: 2);
        using var scope = NewDisposeScope();
        var (ids, mask) = Batch(new[] { new long[] { 5, 6, 7, 8, 9 }, new long[] { 10, 11, 12 } }, left: true);
        var logits = model.forward(ids, mask);
        var loss = logits.log_softmax(-1).mul(mask.unsqueeze(-1)).sum().neg();
        loss.backward();
        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.NotNull(parameter.grad);
            Assert.True(parameter.grad!.abs().sum().item<float>() > 0, $"{preset}: {name} has no gradient");
        }
        model.zero_grad();
    }
}
