using System.Text.Json.Nodes;
using PrefLab.Models;
using PrefLab.Models.Checkpoints;
using PrefLab.Models.Lora;
using PrefLab.Runtime;
using PrefLab.Tests.Algorithms.Dpo;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

/// <summary>LoRA adapters on the Linear seam: counts, PEFT layout, the off switch, merging, init, errors.</summary>
public class LoraAdapterTests
{
    static readonly long[][] Rows = { new long[] { 1, 5, 9, 14, 3, 7 }, new long[] { 2, 8, 4, 11 } };

    static Tensor Logits(CausalLM model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, mask) = ModelFixtures.Batch(Rows, left: false);
        return model.forward(ids, mask).MoveToOuterDisposeScope();
    }

    static bool Same(Tensor a, Tensor b)
    {
        using var equal = a.equal(b);
        using var all = equal.all();
        return all.item<bool>();
    }

    /// <summary>Gives every lora_B a nonzero value (a trained adapter), so the adapters change the output.</summary>
    static void Perturb(LoraAdapters adapters, long seed)
    {
        using var generator = Seeding.TorchStream(seed, "test/perturb");
        using var noGrad = no_grad();
        foreach (var target in adapters.Targets) target.Adapter.B.Weight.normal_(0, 0.5, generator);
    }

    [Fact]
    public void Trainable_parameters_are_r_times_in_plus_out_per_targeted_layer_and_the_base_is_frozen()
    {
        using var dir = new TempDir();
        // tiny-test: hidden 16, 4 heads / 2 kv heads of 4, intermediate 32, 2 layers.
        using var model = CausalLM.Load(DpoTestKit.Model(dir.File("m"), seed: 1));
        long baseCount = model.ParameterCount;
        using (var adapters = LoraAdapters.Attach(model, new LoraConfig { R = 4 }, seed: 1))
        {
            // PEFT's default for llama: q_proj (16 -> 16) and v_proj (16 -> 8).
            Assert.Equal(new[] { "q_proj", "v_proj" }, adapters.TargetNames);
            Assert.Equal(4, adapters.Targets.Count);
            Assert.Equal(2 * (4 * (16 + 16) + 4 * (16 + 8)), adapters.TrainableParameterCount); // 448
            Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
            Assert.All(adapters.Parameters, p => Assert.True(p.requires_grad));
            Assert.Equal(baseCount, model.ParameterCount); // adapters are not model parameters
        }
        using var other = CausalLM.Load(dir.File("m"));
        using var all = LoraAdapters.Attach(other, new LoraConfig { R = 2, TargetModules = new[] { "all-linear" } }, seed: 1);
        // q 16->16, k 16->8, v 16->8, o 16->16, gate 16->32, up 16->32, down 32->16; the tied head has no Linear.
        long perLayer = 2 * ((16 + 16) + (16 + 8) + (16 + 8) + (16 + 16) + (16 + 32) + (16 + 32) + (32 + 16));
        Assert.Equal(2 * perLayer, all.TrainableParameterCount); // 1,024
        Assert.Equal(14, all.Targets.Count);
    }

    [Fact]
    public void New_adapters_leave_the_output_unchanged_and_switched_off_give_the_base_exactly()
    {
        using var dir = new TempDir();
        using var base_ = CausalLM.Load(DpoTestKit.Model(dir.File("m"), seed: 2));
        using var model = CausalLM.Load(dir.File("m"));
        using var expected = Logits(base_);
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { R = 4, Alpha = 16, TargetModules = new[] { "all-linear" } }, seed: 3);
        using (var fresh = Logits(model)) Assert.True(Same(fresh, expected), "B = 0: the adapted model must equal the base bit for bit");
        Perturb(adapters, 4);
        using (var adapted = Logits(model)) Assert.True(ModelFixtures.MaxAbsDiff(adapted, expected) > 1e-3, "the perturbed adapters must change the logits (negative control)");
        using (adapters.Disabled())
        using (var off = Logits(model))
            Assert.True(Same(off, expected), "adapters off: the base model's logits bit for bit");
        Assert.True(adapters.Enabled);
    }

    [Fact]
    public void Kaiming_uniform_A_and_zero_B_as_peft()
    {
        using var dir = new TempDir();
        using var model = CausalLM.Load(DpoTestKit.Model(dir.File("m"), seed: 1));
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { R = 8, TargetModules = new[] { "down_proj" } }, seed: 1);
        foreach (var target in adapters.Targets)
        {
            double bound = 1 / Math.Sqrt(32); // kaiming_uniform_(a = sqrt(5)) over fan_in 32
            double largest = target.Adapter.A.Weight.abs().max().item<float>();
            Assert.True(largest <= bound && largest > 0.8 * bound, $"max |A| {largest}, bound {bound}");
            Assert.Equal(0.0, target.Adapter.B.Weight.abs().max().item<float>());
        }
    }

    [Theory]
    [InlineData("tiny-test", "q_proj,v_proj", "model.layers.{0}.self_attn.{1}")]
    [InlineData("gpt2-tiny", "c_attn", "transformer.h.{0}.attn.{1}")]
    public void Peft_layout_round_trip_gives_the_same_outputs(string preset, string targets, string pathPattern)
    {
        using var dir = new TempDir();
        string folder = DpoTestKit.Model(dir.File("m"), seed: 5, preset);
        using var model = CausalLM.Load(folder);
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { R = 4, Alpha = 8, Dropout = 0.05, BaseModel = "some/base" }, seed: 6);
        Perturb(adapters, 7);
        using var expected = Logits(model);
        adapters.Save(dir.File("adapter"));

        using (var file = SafeTensorsFile.Open(Path.Combine(dir.File("adapter"), "adapter_model.safetensors")))
        {
            var keys = targets.Split(',').SelectMany(t => new[] { 0, 1 }.SelectMany(layer => new[]
            {
                "base_model.model." + string.Format(pathPattern, layer, t) + ".lora_A.weight",
                "base_model.model." + string.Format(pathPattern, layer, t) + ".lora_B.weight",
            })).OrderBy(k => k, StringComparer.Ordinal).ToArray();
            Assert.Equal(keys, file.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray());
            var a = file.Tensors[keys.First(k => k.EndsWith("lora_A.weight"))];
            Assert.Equal(4, a.Shape[0]);
            Assert.Equal(model.Config.HiddenSize, a.Shape[1]);
            Assert.Equal("F32", a.DType);
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("adapter"), "adapter_config.json")))!;
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal("CAUSAL_LM", config["task_type"]!.GetValue<string>());
        Assert.Equal("none", config["bias"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
        Assert.Equal(8, config["lora_alpha"]!.GetValue<int>());
        Assert.Equal(0.05, config["lora_dropout"]!.GetValue<double>());
        Assert.Equal("some/base", config["base_model_name_or_path"]!.GetValue<string>());
        Assert.Equal(targets.Split(','), config["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
        Assert.Equal(preset == "gpt2-tiny", config["fan_in_fan_out"]!.GetValue<bool>());

        using var fresh = CausalLM.Load(folder);
        using var loaded = LoraAdapters.Load(fresh, dir.File("adapter"));
        using var actual = Logits(fresh);
        Assert.True(Same(actual, expected), "a loaded adapter gives the saved adapter's logits bit for bit");
    }

    [Theory]
    [InlineData("tiny-test")]
    [InlineData("gpt2-tiny")]
    public void Merged_model_gives_the_logits_of_base_plus_adapter(string preset)
    {
        using var dir = new TempDir();
        string folder = DpoTestKit.Model(dir.File("m"), seed: 8, preset);
        using var model = CausalLM.Load(folder);
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { R = 3, Alpha = 6, TargetModules = new[] { "all-linear" } }, seed: 9);
        Perturb(adapters, 10);
        using var expected = Logits(model);
        using var baseLogits = Logits(CausalLM.Load(folder));
        adapters.Save(dir.File("adapter"));
        var result = LoraMerge.Run(folder, dir.File("adapter"), dir.File("merged"));
        Assert.Equal(adapters.Targets.Count, result.MergedLayers);
        Assert.True(File.Exists(Path.Combine(dir.File("merged"), "tokenizer.json")));
        using var merged = CausalLM.Load(dir.File("merged"));
        using var actual = Logits(merged);
        double diff = ModelFixtures.MaxAbsDiff(actual, expected);
        Assert.True(diff <= 1e-5, $"merged vs base + adapter: max |diff| {diff}");
        Assert.True(ModelFixtures.MaxAbsDiff(actual, baseLogits) > 1e-3, "negative control: the merge changed the model");

        // SaveMerged writes the same model and leaves the live weights untouched.
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        adapters.SaveMerged(dir.File("merged2"));
        Assert.All(model.parameters().Zip(before), pair => Assert.True(Same(pair.First, pair.Second)));
        using var merged2 = CausalLM.Load(dir.File("merged2"));
        using var again = Logits(merged2);
        Assert.True(Same(again, actual));
        foreach (var t in before) t.Dispose();
    }

    [Fact]
    public void Unknown_target_module_is_an_error_naming_the_option()
    {
        using var dir = new TempDir();
        using var model = CausalLM.Load(DpoTestKit.Model(dir.File("m"), seed: 1));
        var error = Assert.Throws<UserError>(() => LoraAdapters.Attach(model, new LoraConfig { TargetModules = new[] { "q_proj", "qkv" } }, seed: 1));
        Assert.Contains("--lora-target-modules", error.Message);
        Assert.Contains("'qkv'", error.Message);
        Assert.Contains("q_proj", error.Message); // lists the layers there are
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad)); // nothing attached, nothing frozen
        Assert.Contains("--lora-r", Assert.Throws<UserError>(() => new LoraConfig { R = 0 }.Validate()).Message);
        Assert.Contains("--lora-dropout", Assert.Throws<UserError>(() => new LoraConfig { Dropout = 1 }.Validate()).Message);
    }

    [Fact]
    public void Dropout_applies_only_when_gradients_are_recorded()
    {
        using var dir = new TempDir();
        using var model = CausalLM.Load(DpoTestKit.Model(dir.File("m"), seed: 1));
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { R = 4, Dropout = 0.5 }, seed: 1);
        Perturb(adapters, 2);
        using var first = Logits(model);
        using var second = Logits(model);
        Assert.True(Same(first, second), "no_grad forwards see no dropout");
        using var scope = NewDisposeScope();
        var (ids, mask) = ModelFixtures.Batch(Rows, left: false);
        var training = model.forward(ids, mask);
        Assert.True(ModelFixtures.MaxAbsDiff(training.detach(), first) > 1e-4, "a forward with gradients drops adapter inputs");
    }
}
