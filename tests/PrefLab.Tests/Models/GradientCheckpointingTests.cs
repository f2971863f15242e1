using PrefLab.Algorithms.Common;
using PrefLab.Models;
using PrefLab.Models.Layers;
using PrefLab.Models.Lora;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Presets;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

/// <summary>
/// Gradient checkpointing (<see cref="LayerCheckpoint"/>, <c>--gradient-checkpointing</c>): the same loss and the
/// same gradient of every parameter as the plain backward, for rotary decoders (grouped-query, QK-norm) and GPT-2,
/// padded batches, scalar heads, LoRA adapters over a frozen base (whose first block's input records no gradient)
/// and LoRA dropout (the recomputation draws the plain forward's masks and leaves the generator where the plain
/// step leaves it); forwards without gradients or with a KV cache are untouched; and no tensors leak.
/// </summary>
public class GradientCheckpointingTests
{
    public GradientCheckpointingTests() => TorchRuntime.EnsureLoaded();

    const double Tolerance = 1e-6;
    static readonly TokenizerFacts Facts = new(40, 1, 2, 0);

    [Theory]
    [InlineData("tiny-test")]
    [InlineData("mistral-tiny")]
    [InlineData("qwen3-tiny")]
    [InlineData("gpt2-tiny")]
    public void Checkpointed_backward_gives_the_plain_loss_and_every_gradient(string preset)
    {
        using var model = CausalLM.Create(ModelPresets.Create(preset, Facts), seed: 3);
        long before = LayerCheckpoint.RecomputedBlocks;
        var (plainLoss, plainGrads) = LossAndGradients(model, checkpoint: false);
        Assert.Equal(before, LayerCheckpoint.RecomputedBlocks);                      // the plain backward recomputes nothing
        var (loss, grads) = LossAndGradients(model, checkpoint: true);
        Assert.True(LayerCheckpoint.RecomputedBlocks - before >= model.Config.NumLayers, "every block is recomputed in backward");
        AssertSame(plainLoss, plainGrads, loss, grads);
    }

    [Fact]
    public void A_scalar_head_model_checkpoints_its_backbone()
    {
        using var model = ScalarHeadModel.Create(ModelPresets.Create("tiny-test", Facts), seed: 4);
        var (ids, mask) = Rows();
        (Tensor, Dictionary<string, Tensor>) Run(bool checkpoint)
        {
            model.Precision.CheckpointLayers = checkpoint;
            model.zero_grad();
            var scores = model.Scores(ids, mask);                                     // [B]
            var loss = (scores * arange(1, scores.shape[0] + 1, dtype: scores.dtype)).sum();
            loss.backward();
            return (loss.detach(), Gradients(model));
        }
        var (plainLoss, plainGrads) = Run(false);
        var (loss, grads) = Run(true);
        AssertSame(plainLoss, plainGrads, loss, grads);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Lora_adapters_over_a_frozen_base_get_the_plain_gradients_with_and_without_dropout(double dropout)
    {
        using var model = CausalLM.Create(ModelPresets.Create("tiny-test", Facts), seed: 5);
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { R = 4, Dropout = dropout, TargetModules = new[] { "all-linear" } }, seed: 2);
        foreach (var target in adapters.Targets)                                      // B starts at zero: give A's gradient something to flow through
            using (no_grad()) target.Adapter.B.Weight.normal_(0, 0.1, new Generator((ulong)target.Path.Length));
        Assert.DoesNotContain(model.parameters(), p => p.requires_grad && !adapters.Parameters.Contains(p));

        manual_seed(11);
        var (plainLoss, _) = LossAndGradients(model, checkpoint: false);
        long plainNext = NextDraw();
        var plainGrads = AdapterGradients(adapters);
        manual_seed(11);
        var (loss, _) = LossAndGradients(model, checkpoint: true);
        long next = NextDraw();
        var grads = AdapterGradients(adapters);
        AssertSame(plainLoss, plainGrads, loss, grads);
        Assert.NotEmpty(grads);
        Assert.All(grads.Values, g => Assert.True(g.abs().sum().item<float>() > 0, "every adapter receives a gradient"));
        Assert.Equal(plainNext, next);                                                // the generator ends where the plain step leaves it
    }

    [Fact]
    public void Forwards_without_gradients_and_cached_decoding_are_unchanged()
    {
        using var plain = CausalLM.Create(ModelPresets.Create("tiny-test", Facts), seed: 6);
        using var checkpointed = CausalLM.Create(ModelPresets.Create("tiny-test", Facts), seed: 6);
        checkpointed.Precision.CheckpointLayers = true;
        using var scope = NewDisposeScope();
        var (ids, mask) = Rows();
        using (no_grad())
        {
            Assert.False(LayerCheckpoint.Applies(checkpointed.Precision, null));
            Assert.Equal(0.0, MaxAbsDiff(plain.forward(ids, mask), checkpointed.forward(ids, mask)));
        }
        var cache = new KvCache(checkpointed.Config.NumLayers);
        Assert.False(LayerCheckpoint.Applies(checkpointed.Precision, cache));     // decoding keeps its cache, never checkpoints
        Assert.True(LayerCheckpoint.Applies(checkpointed.Precision, null));
        Assert.False(LayerCheckpoint.Applies(plain.Precision, null));
        var cached = checkpointed.forward(ids, mask, cache: cache);
        Assert.Equal(0.0, MaxAbsDiff(plain.forward(ids, mask).detach(), cached.detach()));
        Assert.Equal(ids.shape[1], cache.Length);
    }

    [Fact]
    public void The_option_reaches_the_models_a_run_trains()
    {
        var specs = new PrefLab.Training.Commands.TrainerSpecs(new PrefLab.Training.Commands.TrainerDefaults());
        PrefLab.Training.TrainingOptions Read(params string[] tokens) =>
            specs.Read(PrefLab.Runtime.Options.OptionValues.FromTokens(specs.All, tokens, "test"), TextWriter.Null);
        Assert.True(Read("--output", "out", "--gradient-checkpointing").Compute().CheckpointLayers);
        Assert.False(Read("--output", "out").Compute().CheckpointLayers);
        Assert.Contains(specs.GradientCheckpointing, specs.ForOnlineRl);                // PPO, RLOO, GRPO and online DPO offer it too
    }

    [Fact]
    public void Checkpointed_steps_leave_no_tensors_behind()
    {
        using var model = CausalLM.Create(ModelPresets.Create("tiny-test", Facts), seed: 3);
        model.Precision.CheckpointLayers = true;
        var (ids, mask) = Rows();
        AssertBackwardLeavesNoTensors(model, ids, mask, LogitChunking.Off);
        ids.Dispose();
        mask.Dispose();
    }

    static (Tensor Ids, Tensor Mask) Rows() =>
        Batch(new[] { new long[] { 5, 6, 7, 8, 9, 10, 11 }, new long[] { 12, 13, 14, 15 }, new long[] { 3, 4, 5, 6, 7, 8 } }, left: false);

    // The summed completion log-probs of a padded batch, weighted per row, and every trainable parameter's gradient.
    static (Tensor Loss, Dictionary<string, Tensor> Grads) LossAndGradients(CausalLM model, bool checkpoint)
    {
        model.Precision.CheckpointLayers = checkpoint;
        model.zero_grad();
        using var scope = NewDisposeScope();
        var (ids, mask) = Rows();
        var result = ModelLogProbs.OfCompletion(model, ids, mask, mask, 1.0, LogitChunking.Off);
        var sums = Sequences.LogProb(result.LogProbs.to_type(ScalarType.Float64), result.Mask);      // [B]
        var loss = (sums * arange(1, sums.shape[0] + 1, dtype: ScalarType.Float64)).sum();
        loss.backward();
        var grads = Gradients(model);
        foreach (var g in grads.Values) g.MoveToOuterDisposeScope();
        return (loss.detach().MoveToOuterDisposeScope(), grads);
    }

    // The adapters live beside the model's modules: their A and B gradients by target path.
    // (model.zero_grad does not reach them, so they are zeroed here once read.)
    static Dictionary<string, Tensor> AdapterGradients(LoraAdapters adapters)
    {
        var weights = adapters.Targets.SelectMany(t => new[] { (t.Path + ".A", t.Adapter.A.Weight), (t.Path + ".B", t.Adapter.B.Weight) }).ToList();
        var grads = weights.ToDictionary(p => p.Item1, p => p.Item2.grad!.clone());
        foreach (var (_, weight) in weights) weight.grad!.zero_();
        return grads;
    }

    static Dictionary<string, Tensor> Gradients(nn.Module model) =>
        model.named_parameters().Where(p => p.parameter.requires_grad && p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());

    static void AssertSame(Tensor plainLoss, Dictionary<string, Tensor> plainGrads, Tensor loss, Dictionary<string, Tensor> grads)
    {
        Assert.True(MaxAbsDiff(plainLoss, loss) < Tolerance, $"losses differ by {MaxAbsDiff(plainLoss, loss)}");
        Assert.Equal(plainGrads.Keys.OrderBy(k => k), grads.Keys.OrderBy(k => k));
        foreach (var (name, grad) in plainGrads)
            Assert.True(MaxAbsDiff(grad, grads[name]) < Tolerance, $"{name}: gradients differ by {MaxAbsDiff(grad, grads[name])}");
    }

    // The generator's next draw: equal when two runs left it in the same state.
    static long NextDraw() => randint(0, long.MaxValue, new long[] { 1 }).item<long>();
}
