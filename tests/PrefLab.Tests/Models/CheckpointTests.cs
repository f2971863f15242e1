using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Models.Checkpoints;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

public class CheckpointTests
{
    static Tensor Logits(CausalLM model) => model.forward(Ids(3, 17, 5, 22, 9)).squeeze(0);

    static void AssertSameParameters(PretrainedModel a, PretrainedModel b)
    {
        var left = a.named_parameters().ToList();
        var right = b.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(left.Select(p => p.name).OrderBy(n => n), right.Keys.OrderBy(n => n));
        foreach (var (name, parameter) in left)
            Assert.True(parameter.equal(right[name]).all().item<bool>(), $"{name} differs");
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("gpt2")]
    [InlineData("qwen2")]
    public void Save_then_load_is_bit_exact_with_hugging_face_names(string name)
    {
        using var dir = new TempDir();
        using var original = CausalLM.Load(Folder(name));
        original.Save(dir.Path);
        using var reloaded = CausalLM.Load(dir.Path);
        AssertSameParameters(original, reloaded);
        using var noGrad = no_grad();
        Assert.Equal(0.0, MaxAbsDiff(Logits(original), Logits(reloaded)));
        var saved = ReadAll(dir.Path);
        if (name == "gpt2")
        {
            // Saved with GPT2LMHeadModel's names; the causal-mask buffers and the tied head are not written.
            Assert.Contains("transformer.h.0.attn.c_attn.weight", saved.Keys);
            Assert.Contains("transformer.wte.weight", saved.Keys);
            Assert.DoesNotContain(saved.Keys, k => k.EndsWith("attn.bias", StringComparison.Ordinal) && !k.Contains("c_attn"));
        }
        else
        {
            Assert.Contains("model.layers.0.self_attn.q_proj.weight", saved.Keys);
        }
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        Assert.Equal("float32", config["torch_dtype"]!.GetValue<string>());
        Assert.Equal(original.Config.CausalLMArchitecture, config["architectures"]![0]!.GetValue<string>());
        Assert.True(File.Exists(dir.File("generation_config.json")));
    }

    [Fact]
    public void Sharded_save_loads_to_the_same_model_as_a_single_file()
    {
        using var dir = new TempDir();
        using var original = CausalLM.Load(Folder("llama"));
        original.Save(dir.Path, new ModelSaveOptions { MaxShardBytes = 16_000 });
        var shards = Directory.GetFiles(dir.Path, "model-*.safetensors");
        Assert.True(shards.Length >= 3, $"{shards.Length} shards");
        Assert.False(File.Exists(dir.File("model.safetensors")));
        var index = JsonNode.Parse(File.ReadAllText(dir.File("model.safetensors.index.json")))!;
        Assert.Equal(original.named_parameters().Count(), index["weight_map"]!.AsObject().Count);
        using var reloaded = CausalLM.Load(dir.Path);
        AssertSameParameters(original, reloaded);

        // Saving again unsharded replaces the shards (no stale weights left to confuse a loader).
        original.Save(dir.Path);
        Assert.Empty(Directory.GetFiles(dir.Path, "model-*.safetensors"));
        Assert.False(File.Exists(dir.File("model.safetensors.index.json")));
        using var single = CausalLM.Load(dir.Path);
        using var noGrad = no_grad();
        Assert.Equal(0.0, MaxAbsDiff(Logits(reloaded), Logits(single)));
    }

    [Fact]
    public void Bf16_weights_load_and_save_back_as_bf16()
    {
        using var dir = new TempDir();
        using var original = CausalLM.Load(Folder("qwen2")); // stored BF16
        Assert.All(original.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        original.Save(dir.Path, new ModelSaveOptions { DType = ScalarType.BFloat16 });
        using (var file = SafeTensorsFile.Open(dir.File("model.safetensors")))
            Assert.All(file.Tensors.Values, t => Assert.Equal("BF16", t.DType));
        Assert.Equal("bfloat16", JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!["torch_dtype"]!.GetValue<string>());
        using var reloaded = CausalLM.Load(dir.Path);
        AssertSameParameters(original, reloaded); // bf16 values survive a bf16 round trip exactly
    }

    [Fact]
    public void Tied_embeddings_are_one_parameter_and_a_tied_save_has_no_lm_head()
    {
        using var dir = new TempDir();
        using var model = CausalLM.Load(Folder("qwen2"));
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Equal(names.Count, model.parameters().Count());
        // The output projection is the embedding: changing the embedding changes the logits of a fixed hidden state.
        using (var noGrad = no_grad())
        {
            using var hidden = ones(1, model.Config.HiddenSize);
            using var before = model.ProjectToVocab(hidden);
            model.Backbone.TokenEmbedding.Weight[5].add_(1.0f);
            using var after = model.ProjectToVocab(hidden);
            Assert.True(MaxAbsDiff(before[0, 5], after[0, 5]) > 1);
            model.Backbone.TokenEmbedding.Weight[5].sub_(1.0f);
        }
        model.Save(dir.Path);
        Assert.DoesNotContain("lm_head.weight", ReadAll(dir.Path).Keys);

        // Negative control: the untied llama has its own head.
        using var untied = CausalLM.Load(Folder("llama"));
        Assert.Contains("lm_head.weight", untied.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void A_missing_or_unexpected_tensor_or_wrong_shape_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        var tensors = ReadAll(Folder("llama"));
        void WriteWith(IEnumerable<(string, Tensor)> entries)
        {
            CopyFolder(Folder("llama"), dir.Path);
            SafeTensorsWriter.Write(dir.File("model.safetensors"), entries.ToList());
        }
        WriteWith(tensors.Where(t => t.Key != "model.layers.1.mlp.up_proj.weight").Select(t => (t.Key, t.Value)));
        var missing = Assert.Throws<UserError>(() => CausalLM.Load(dir.Path));
        Assert.Contains("missing", missing.Message);
        Assert.Contains("model.layers.1.mlp.up_proj.weight", missing.Message);

        WriteWith(tensors.Select(t => (t.Key, t.Value)).Append(("model.layers.0.extra.weight", zeros(2))));
        var unexpected = Assert.Throws<UserError>(() => CausalLM.Load(dir.Path));
        Assert.Contains("unexpected", unexpected.Message);
        Assert.Contains("model.layers.0.extra.weight", unexpected.Message);

        WriteWith(tensors.Select(t => t.Key == "model.norm.weight" ? (t.Key, zeros(5)) : (t.Key, t.Value)));
        var shape = Assert.Throws<UserError>(() => CausalLM.Load(dir.Path));
        Assert.Contains("model.norm.weight", shape.Message);
        Assert.Contains("[5]", shape.Message);
    }

    [Fact]
    public void A_shard_index_naming_a_missing_file_is_an_error()
    {
        using var dir = new TempDir();
        CopyFolder(Folder("mistral"), dir.Path);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        var error = Assert.Throws<UserError>(() => CausalLM.Load(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", error.Message);
    }

    // ---- corrupt files: each a UserError naming the file (and the tensor), never a crash or a huge allocation

    static string WriteRaw(TempDir dir, string header, int dataBytes, long? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(declaredLength ?? json.Length));
        json.CopyTo(bytes, 8);
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static UserError Corrupt(string path) => Assert.Throws<UserError>(() => SafeTensorsFile.Open(path).Dispose());

    [Fact]
    public void A_valid_hand_written_file_opens_and_reads()
    {
        // The control for the corrupt cases below: the same shape of header, valid.
        using var dir = new TempDir();
        string path = WriteRaw(dir, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[2,1],"data_offsets":[8,12]}}""", 12);
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(new long[] { 2, 1 }, file.Tensors["b"].Shape);
        using var a = file.Read("a");
        Assert.Equal(new[] { 0f, 0f }, a.data<float>().ToArray());
    }

    [Fact]
    public void A_truncated_file_names_the_file_and_the_tensor()
    {
        using var dir = new TempDir();
        string path = WriteRaw(dir, """{"weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 10);
        var error = Corrupt(path);
        Assert.Contains(path, error.Message);
        Assert.Contains("'weight'", error.Message);
        Assert.Contains("truncated", error.Message);

        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        Assert.Contains("shorter than", Corrupt(path).Message);
    }

    [Fact]
    public void A_huge_or_overlong_header_length_is_refused_before_allocating()
    {
        using var dir = new TempDir();
        string path = WriteRaw(dir, "{}", 0, declaredLength: 1L << 40);
        var huge = Corrupt(path);
        Assert.Contains("exceeds", huge.Message);
        Assert.Contains(path, huge.Message);
        path = WriteRaw(dir, "{}", 0, declaredLength: 1000);
        Assert.Contains("only 2 bytes follow", Corrupt(path).Message);
    }

    [Fact]
    public void Bad_offsets_overlaps_and_size_mismatches_are_refused()
    {
        using var dir = new TempDir();
        var outside = Corrupt(WriteRaw(dir, """{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 8));
        Assert.Contains("'w'", outside.Message);
        Assert.Contains("past the end", outside.Message);

        var backwards = Corrupt(WriteRaw(dir, """{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", 8));
        Assert.Contains("backwards", backwards.Message);

        var overlap = Corrupt(WriteRaw(dir, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12));
        Assert.Contains("overlap", overlap.Message);
        Assert.Contains("'a'", overlap.Message);
        Assert.Contains("'b'", overlap.Message);

        var size = Corrupt(WriteRaw(dir, """{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}}""", 8));
        Assert.Contains("'w'", size.Message);
        Assert.Contains("needs 6 bytes", size.Message);

        var dtype = Corrupt(WriteRaw(dir, """{"w":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}""", 8));
        Assert.Contains("F8_E4M3", dtype.Message);

        var negative = Corrupt(WriteRaw(dir, """{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8));
        Assert.Contains("shape", negative.Message);

        var json = Corrupt(WriteRaw(dir, """{"w":{"dtype":"F32",""", 8));
        Assert.Contains("not valid JSON", json.Message);
    }

    [Fact]
    public void A_corrupt_weight_file_in_a_model_folder_is_a_user_error_at_load()
    {
        using var dir = new TempDir();
        CopyFolder(Folder("qwen3"), dir.Path);
        var bytes = File.ReadAllBytes(dir.File("model.safetensors"));
        File.WriteAllBytes(dir.File("model.safetensors"), bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<UserError>(() => CausalLM.Load(dir.Path));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("truncated", error.Message);
    }
}
