using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.GroupRl;
using PrefLab.Algorithms.Lora;
using PrefLab.Algorithms.Sft;
using PrefLab.Models;
using PrefLab.Models.Lora;
using PrefLab.Tests.Algorithms.Dpo;
using PrefLab.Tests.Algorithms.OnlineRl;
using PrefLab.Tests.Models;
using PrefLab.Training;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms.Lora;

/// <summary>LoRA in training: the first step against full fine-tuning, the run folder, resume, DPO's and online RL's
/// reference with the adapters off.</summary>
public class LoraTrainingTests
{
    static readonly string[] Words = ["the", "a", "is", "of", "capital", "france", "paris", "answer", "blue", "red", "cat", "dog", "sky", "color"];

    static string SftData(string path, int count)
    {
        var random = new Random(3);
        string Sentence(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => Words[random.Next(Words.Length)])) + " .";
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(_ => new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = Sentence(random.Next(2, 6)) },
                new JsonObject { ["role"] = "assistant", ["content"] = "paris . " + Sentence(random.Next(1, 5)) }),
        }.ToJsonString()));
        return path;
    }

    static Tensor NextTokenLoss(CausalLM model, Tensor ids)
    {
        var logits = model.forward(ids);                                              // [B, T, V]
        long v = logits.shape[2];
        return nn.functional.cross_entropy(logits.narrow(1, 0, ids.shape[1] - 1).reshape(-1, v), ids.narrow(1, 1, ids.shape[1] - 1).reshape(-1));
    }

    /// <summary>
    /// With B = 0 the first step of LoRA is a function of full fine-tuning's first gradient: the loss is the base's
    /// exactly; dL/dA = 0 exactly; dL/dB = (alpha/r) G A^T for each adapted W with full gradient G (to 1e-5); so the
    /// update LoRA's first SGD step makes to W, -lr (alpha/r)^2 G A^T A, is a descent direction of the full loss
    /// (cosine with -G over all adapted weights > 0; A^T A is positive definite at r = width).
    /// </summary>
    [Fact]
    public void First_step_at_full_rank_is_full_fine_tunings_gradient_seen_through_A()
    {
        using var dir = new TempDir();
        string folder = DpoTestKit.Model(dir.File("m"), seed: 11);
        using var full = CausalLM.Load(folder);
        using var lora = CausalLM.Load(folder);
        const int r = 16; // tiny-test's hidden width
        using var adapters = LoraAdapters.Attach(lora, new LoraConfig { R = r, Alpha = r, TargetModules = new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj" } }, seed: 12);
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 5, 9, 14, 3, 7, 12, 2, 8, 4, 11, 6, 10, 13, 15, 1 }, dtype: ScalarType.Int64).view(2, 8);
        var fullLoss = NextTokenLoss(full, ids);
        var loraLoss = NextTokenLoss(lora, ids);
        Assert.Equal(fullLoss.item<float>(), loraLoss.item<float>()); // B = 0: the base's loss, bit for bit
        fullLoss.backward();
        loraLoss.backward();
        var fullLayers = full.named_modules().Where(m => m.module is PrefLab.Models.Layers.Linear).ToDictionary(m => m.name, m => (PrefLab.Models.Layers.Linear)m.module);
        double inner = 0, updateNorm = 0, gradNorm = 0;
        foreach (var target in adapters.Targets)
        {
            var g = fullLayers[target.Path].Weight.grad!;                              // [out, in]
            var a = target.Adapter.A.Weight.detach();                                   // [r, in]
            Assert.Equal(0.0, target.Adapter.A.Weight.grad!.abs().max().item<float>());
            var expectedB = g.matmul(a.t()).mul(adapters.Config.Scaling);               // [out, r]
            var gradB = target.Adapter.B.Weight.grad!;
            double diff = (gradB - expectedB).abs().max().item<float>(), scale = expectedB.abs().max().item<float>();
            Assert.True(diff <= 1e-5 * scale + 1e-9, $"{target.Path}: dL/dB differs from (alpha/r) G A^T by {diff} (largest {scale})");
            var update = gradB.matmul(a).mul(-adapters.Config.Scaling);                 // W's change per unit lr
            inner += (update * -g).sum().item<float>();
            updateNorm += update.pow(2).sum().item<float>();
            gradNorm += g.pow(2).sum().item<float>();
        }
        double cosine = inner / Math.Sqrt(updateNorm * gradNorm);
        Assert.True(cosine > 0, $"cosine of LoRA's induced first update with -G: {cosine}");
    }

    static SftJobOptions Sft(string model, string data, string output, LoraConfig? lora, long steps = 2, int saveEvery = 0, bool resume = false, Action<long>? afterStep = null) => new()
    {
        Mode = LanguageModelingMode.Sft, Model = model, Data = data, Output = output, MaxLength = 48, Lora = lora, AfterStep = afterStep,
        // One batch holds every example, so step 2 sees the same examples after the first update.
        Training = new TrainingOptions { Lr = 1e-2, BatchSize = 8, Epochs = 2, MaxSteps = steps, Seed = 4, WarmupRatio = 0, Schedule = LrScheduleKind.Constant, SaveEvery = saveEvery, Resume = resume },
    };

    [Fact]
    public void Sft_with_lora_starts_at_full_fine_tunings_loss_decreases_it_and_writes_merged_model_and_peft_adapter()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("m"), seed: 13);
        string data = SftData(dir.File("sft.jsonl"), 8);
        var lora = new LoraConfig { R = 16, Alpha = 16, TargetModules = new[] { "all-linear" } };
        SftJob.Run(Sft(model, data, dir.File("full"), null));
        SftJob.Run(Sft(model, data, dir.File("lora"), lora, saveEvery: 1));
        var full = DpoTestKit.TrainMetrics(dir.File("full"));
        var adapted = DpoTestKit.TrainMetrics(dir.File("lora"));
        Assert.Equal(DpoTestKit.Value(full[0], "loss"), DpoTestKit.Value(adapted[0], "loss")); // both the base's loss
        Assert.True(DpoTestKit.Value(full[1], "loss") < DpoTestKit.Value(full[0], "loss"), "full fine-tuning's first step lowers the loss");
        Assert.True(DpoTestKit.Value(adapted[1], "loss") < DpoTestKit.Value(adapted[0], "loss"), "LoRA's first step lowers the loss");

        string run = dir.File("lora");
        Assert.True(File.Exists(Path.Combine(run, "config.json")) && File.Exists(Path.Combine(run, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(run, "adapter", "adapter_config.json")) && File.Exists(Path.Combine(run, "adapter", "adapter_model.safetensors")));
        Assert.True(File.Exists(Path.Combine(run, "adapter", "tokenizer.json")));
        var record = DpoTestKit.Run(run)["lora"]!;
        Assert.Equal(2 * (16 * (32 + 24 + 24 + 32 + 48 + 48 + 48)), record["trainable_parameters"]!.GetValue<long>());
        // Checkpoints hold the adapter (and the optimizer), not the model.
        string checkpoint = Path.Combine(run, "checkpoints", "step-1");
        Assert.True(File.Exists(Path.Combine(checkpoint, "adapter_model.safetensors")));
        Assert.False(File.Exists(Path.Combine(checkpoint, "model.safetensors")));

        // The merged model at OUT equals the base + OUT/adapter, and only targeted weights moved.
        using var merged = CausalLM.Load(run);
        using var base_ = CausalLM.Load(model);
        using var withAdapter = CausalLM.Load(model);
        using var loaded = LoraAdapters.Load(withAdapter, Path.Combine(run, "adapter"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, mask) = ModelFixtures.Batch(new[] { new long[] { 1, 5, 9, 14, 3 }, new long[] { 2, 8, 4 } }, left: false);
        double diff = ModelFixtures.MaxAbsDiff(merged.forward(ids, mask), withAdapter.forward(ids, mask));
        Assert.True(diff <= 1e-5, $"merged vs base + adapter: {diff}");
        var baseParameters = base_.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in merged.named_parameters())
        {
            bool targeted = loaded.Targets.Any(t => name == t.Path + ".weight");
            bool same = parameter.equal(baseParameters[name]).all().item<bool>();
            Assert.True(targeted != same, $"{name}: {(targeted ? "an adapted weight should have changed" : "a frozen weight changed")}");
        }
    }

    [Fact]
    public void Lora_sft_resumed_from_an_adapter_checkpoint_equals_the_uninterrupted_run()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("m"), seed: 14);
        string data = SftData(dir.File("sft.jsonl"), 8);
        var lora = new LoraConfig { R = 4, Alpha = 8, Dropout = 0.1 };
        SftJob.Run(Sft(model, data, dir.File("straight"), lora, steps: 4));
        Assert.ThrowsAny<OperationCanceledException>(() =>
            SftJob.Run(Sft(model, data, dir.File("resumed"), lora, steps: 4, saveEvery: 2, afterStep: s => { if (s == 3) throw new OperationCanceledException("killed"); })));
        SftJob.Run(Sft(model, data, dir.File("resumed"), lora, steps: 4, saveEvery: 2, resume: true));
        var straight = DpoTestKit.TrainMetrics(dir.File("straight")).Select(m => DpoTestKit.Value(m, "loss")).ToArray();
        var resumed = DpoTestKit.TrainMetrics(dir.File("resumed")).Select(m => DpoTestKit.Value(m, "loss")).ToArray();
        Assert.Equal(straight, resumed);
        var a = File.ReadAllBytes(Path.Combine(dir.File("straight"), "adapter", "adapter_model.safetensors"));
        var b = File.ReadAllBytes(Path.Combine(dir.File("resumed"), "adapter", "adapter_model.safetensors"));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Dpo_with_lora_uses_the_base_with_adapters_off_as_reference_live_or_cached()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("m"), seed: 15);
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 16);
        var lora = new LoraConfig { R = 4, Alpha = 16 };
        var training = new TrainingOptions { Lr = 5e-2, BatchSize = 4, GradAccum = 2, MaxSteps = 2, Seed = 3, WarmupRatio = 0 };
        DpoJob.Run(DpoTestKit.Options(model, data, dir.File("cached"), dir.File("cache"), training: training) with { Lora = lora });
        DpoJob.Run(DpoTestKit.Options(model, data, dir.File("live"), "off", training: training) with { Lora = lora });
        var cached = DpoTestKit.TrainMetrics(dir.File("cached"));
        var live = DpoTestKit.TrainMetrics(dir.File("live"));
        Assert.Equal(Math.Log(2), DpoTestKit.Value(cached[0], "loss"), 6);
        Assert.Equal(0.0, DpoTestKit.Value(cached[0], "rewards/chosen"), 9);
        // After one update the policy differs from its reference: the reference is the base, not the adapted policy.
        Assert.NotEqual(0.0, DpoTestKit.Value(cached[1], "rewards/margins"));
        foreach (string name in new[] { "loss", "rewards/chosen", "rewards/rejected", "rewards/margins" })
            for (int i = 0; i < 2; i++)
                Assert.Equal(DpoTestKit.Value(cached[i], name), DpoTestKit.Value(live[i], name), 5);
        Assert.Equal("live", DpoTestKit.Run(dir.File("live"))["reference"]!["mode"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(dir.File("live"), "adapter", "adapter_model.safetensors")));
    }

    [Fact]
    public void Ppo_with_lora_keeps_one_model_whose_adapters_off_are_the_reference()
    {
        using var setup = new TinyRlSetup();
        var options = setup.Ppo("ppo").WithTraining(t => t with { MaxSteps = 3 }) with { Lora = new LoraConfig { R = 4, Alpha = 8, TargetModules = new[] { "all-linear" } } };
        using (var session = PrefLab.Algorithms.OnlineRl.OnlineRlSession.Open(options))
        {
            Assert.Same(session.Policy, session.Reference);
            Assert.NotNull(session.Adapters);
        }
        PrefLab.Algorithms.Ppo.PpoJob.Run(options);
        string run = setup.Folder("ppo");
        var metrics = DpoTestKit.Metrics(run);
        Assert.Equal(0.0, DpoTestKit.Value(metrics[0], "objective/kl"), 9); // B = 0: policy == reference
        Assert.NotEqual(0.0, DpoTestKit.Value(metrics[2], "objective/kl"));  // the adapters moved; the reference did not
        Assert.True(File.Exists(Path.Combine(run, "adapter", "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(run, "value", "config.json")));
        using var base_ = CausalLM.Load(setup.Policy);
        using var adapted = CausalLM.Load(setup.Policy);
        using var adapters = LoraAdapters.Load(adapted, Path.Combine(run, "adapter"));
        Assert.All(adapters.Targets, t => Assert.True(t.Adapter.B.Weight.abs().max().item<float>() > 0, $"{t.Path}: lora_B never moved"));
        var error = Assert.Throws<PrefLab.Runtime.UserError>(() => GroupRlJob.Run(setup.Group(GroupRlAlgorithm.Grpo, "grpo-dropout") with { Lora = new LoraConfig { Dropout = 0.1 } }));
        Assert.Contains("--lora-dropout", error.Message);
    }

    [Fact]
    public void Cli_bad_target_module_exits_2_naming_the_option_and_lora_merge_writes_a_model()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("m"), seed: 16);
        string data = SftData(dir.File("sft.jsonl"), 4);
        var (exit, _, err) = PrefLab.Tests.Cli.CliAppTests.Run("sft", "--model", model, "--data", data, "--output", dir.File("bad"), "--lora-target-modules", "q_proj,attn_qkv", "--max-steps", "1");
        Assert.Equal(2, exit);
        Assert.Contains("--lora-target-modules", err);
        Assert.Contains("attn_qkv", err);
        var ok = PrefLab.Tests.Cli.CliAppTests.Run("sft", "--model", model, "--data", data, "--output", dir.File("run"), "--lora-r", "4", "--max-steps", "1", "--batch-size", "4");
        Assert.True(ok.Exit == 0, ok.Err);
        var merged = PrefLab.Tests.Cli.CliAppTests.Run("lora", "merge", "--base", model, "--adapter", Path.Combine(dir.File("run"), "adapter"), "--output", dir.File("merged"));
        Assert.True(merged.Exit == 0, merged.Err);
        Assert.True(File.Exists(Path.Combine(dir.File("merged"), "model.safetensors")));
    }
}
