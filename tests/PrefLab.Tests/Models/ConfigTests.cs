using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Models.Config;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;

namespace PrefLab.Tests.Models;

public class ConfigTests
{
    static ModelConfig Parse(string json) => ModelConfigs.Parse(JsonNode.Parse(json)!.AsObject(), "config.json");

    [Fact]
    public void Each_family_binds_its_keys_and_hugging_face_defaults()
    {
        var llama = (LlamaConfig)ModelConfigs.Load(Folder("llama"));
        Assert.Equal((24, 4, 2, 8, 40), (llama.HiddenSize, llama.NumHeads, llama.NumKvHeads, llama.HeadDim, llama.IntermediateSize));
        Assert.Equal(("llama3", 8.0, 64), (llama.Rope.Type, llama.Rope.Factor, llama.Rope.OriginalMaxPositionEmbeddings));
        Assert.True(llama.AttentionBias && llama.HasMlpBias && !llama.TieWordEmbeddings);
        Assert.Equal(1e-5, llama.RmsNormEps);

        var qwen3 = (Qwen3Config)Parse("""{"model_type":"qwen3","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2}""");
        Assert.Equal(128, qwen3.HeadDim); // Qwen3Config's default, not hidden/heads
        Assert.Equal(2, qwen3.NumKvHeads);

        var mistralDefault = (MistralConfig)Parse("""{"model_type":"mistral","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2}""");
        Assert.Equal(4096, mistralDefault.SlidingWindow);
        var mistralNoWindow = (MistralConfig)Parse("""{"model_type":"mistral","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2,"sliding_window":null}""");
        Assert.Null(mistralNoWindow.SlidingWindow);

        var qwen2 = (Qwen2Config)Parse("""{"model_type":"qwen2","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2}""");
        Assert.True(qwen2.QkvBias);
        Assert.False(qwen2.OutputBias);

        var gpt2 = (Gpt2Config)Parse("""{"model_type":"gpt2"}""");
        Assert.Equal((768, 12, 12, 3072, 1024, "gelu_new", true), (gpt2.HiddenSize, gpt2.NumLayers, gpt2.NumHeads, gpt2.IntermediateSize,
            gpt2.MaxPositionEmbeddings, gpt2.HiddenAct, gpt2.TieWordEmbeddings));
        Assert.Equal(new[] { 50256 }, gpt2.EosTokenIds);

        var llama3Eos = Parse("""{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"eos_token_id":[128001,128008,128009]}""");
        Assert.Equal(new[] { 128001, 128008, 128009 }, llama3Eos.EosTokenIds);
    }

    [Theory]
    [InlineData("""{"model_type":"falcon"}""", "model_type", "falcon")]
    [InlineData("""{"hidden_size":8}""", "model_type", "missing")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"rope_scaling":{"rope_type":"yarn","factor":4.0}}""", "rope_scaling", "yarn")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"rope_scaling":{"type":"dynamic","factor":2.0}}""", "rope_scaling", "dynamic")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"rope_scaling":{"rope_type":"llama3","factor":8.0}}""", "rope_scaling", "low_freq_factor")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"hidden_act":"gelu_fast"}""", "hidden_act", "gelu_fast")]
    [InlineData("""{"model_type":"gpt2","activation_function":"tanh"}""", "activation_function", "tanh")]
    [InlineData("""{"model_type":"qwen2","hidden_size":64,"num_attention_heads":4,"use_sliding_window":true}""", "use_sliding_window", "not supported")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":3}""", "num_key_value_heads", "does not divide")]
    [InlineData("""{"model_type":"llama","hidden_size":"big"}""", "hidden_size", "whole number")]
    [InlineData("""{"model_type":"llama","hidden_size":64,"num_attention_heads":4,"partial_rotary_factor":0.5}""", "partial_rotary_factor", "not supported")]
    public void Unknown_or_unsupported_options_are_errors_naming_them(string json, string field, string what)
    {
        var error = Assert.Throws<UserError>(() => Parse(json));
        Assert.Contains("config.json", error.Message);
        Assert.Contains(field, error.Message);
        Assert.Contains(what, error.Message);
    }

    [Fact]
    public void A_config_survives_a_json_round_trip()
    {
        foreach (string name in CausalNames)
        {
            var config = ModelConfigs.Load(Folder(name));
            var json = config.ToJson(ModelHead.CausalLM, "float32");
            var again = ModelConfigs.Parse(json, "saved");
            Assert.Equal(config with { Source = null, Architectures = again.Architectures, EosTokenIds = again.EosTokenIds },
                again with { Source = null });
            Assert.Equal(config.EosTokenIds, again.EosTokenIds);
        }
    }

    [Fact]
    public void Rope_inverse_frequencies_follow_the_llama3_bands()
    {
        var rope = new RopeConfig { Theta = 10000, Type = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 64 };
        using var inv = rope.InverseFrequencies(8);
        var got = inv.data<float>().ToArray();
        // Hand computation: base frequencies 1, 0.1, 0.01, 0.001 (wavelengths 6.28, 62.8, 628, 6283; bounds 16 and 64).
        double smooth = (64 / (2 * Math.PI / 0.1) - 1) / 3;
        double[] expected = { 1.0, (1 - smooth) * 0.1 / 8 + smooth * 0.1, 0.01 / 8, 0.001 / 8 };
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], got[i], 1e-6);
    }

    [Fact]
    public void Heads_that_do_not_fit_the_folder_are_refused()
    {
        var causal = Assert.Throws<UserError>(() => ScalarHeadModel.Load(Folder("llama")));
        Assert.Contains("FromCausalLM", causal.Message);
        var reward = Assert.Throws<UserError>(() => CausalLM.Load(Folder("llama-reward")));
        Assert.Contains("LlamaForSequenceClassification", reward.Message);
        using var dir = new TempDir();
        CopyFolder(Folder("llama"), dir.Path);
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        config["architectures"] = new JsonArray("LlamaForTokenClassification");
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        Assert.Contains("LlamaForTokenClassification", Assert.Throws<UserError>(() => CausalLM.Load(dir.Path)).Message);
        Assert.Contains("nope", Assert.Throws<UserError>(() => CausalLM.Load(dir.File("nope"))).Message);
    }
}
