using PrefLab.Models;
using PrefLab.Models.Presets;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

/// <summary>The model-FLOPs counter behind the lab's utilisation figures, against the formula worked out by hand.</summary>
public class ModelFlopsTests
{
    // tiny-test: llama, hidden 16, 2 layers, 4 heads of 4 (2 kv heads), intermediate 64, tied embeddings; vocab 40.
    static CausalLM Tiny() => CausalLM.Create(ModelPresets.Create("tiny-test", new TokenizerFacts(40, 1, 2, 0)), seed: 0);

    /// <summary>Per position: 2 x non-embedding parameters + 4 x layers x heads x head_dim x attended, and
    /// 2 x vocab x hidden for the projection.</summary>
    static double Forward(CausalLM model, long positions, long attended) =>
        positions * (2.0 * model.NonEmbeddingParameterCount + 4.0 * 2 * 4 * 4 * attended + 2.0 * 40 * 16);

    [Fact]
    public void A_forward_counts_its_formula_once_without_gradients_and_three_times_with()
    {
        using var model = Tiny();
        Assert.Equal(16, model.Config.HiddenSize);
        Assert.Equal(2, model.Config.NumLayers);
        Assert.Equal(4, model.Config.NumHeads);
        Assert.Equal(4, model.Config.HeadDim);
        using var ids = randint(3, 40, new long[] { 2, 5 }, dtype: ScalarType.Int64, generator: new Generator(1));

        long before = ModelFlops.OnThisThread;
        using (no_grad())
        using (var logits = model.forward(ids)) { }
        long inference = ModelFlops.OnThisThread - before;
        Assert.Equal((long)Forward(model, 10, 5), inference);

        before = ModelFlops.OnThisThread;
        using (var logits = model.forward(ids))
        using (var loss = logits.sum())
            loss.backward();
        Assert.Equal((long)(3 * Forward(model, 10, 5)), ModelFlops.OnThisThread - before);
    }

    [Fact]
    public void Cached_decoding_counts_each_new_position_attending_to_the_past_and_projects_only_what_it_asks()
    {
        using var model = Tiny();
        using var prompt = randint(3, 40, new long[] { 1, 4 }, dtype: ScalarType.Int64, generator: new Generator(2));
        using var next = tensor(new long[] { 7 }, dtype: ScalarType.Int64).unsqueeze(0);
        using var cache = model.NewCache();
        long before = ModelFlops.OnThisThread;
        using (no_grad())
        {
            using (var hidden = model.HiddenStates(prompt, cache: cache))
            using (var last = hidden.narrow(1, 3, 1))
            using (var logits = model.ProjectToVocab(last)) { }
            using (var logits = model.forward(next, cache: cache)) { }
        }
        double backbone = 2.0 * model.NonEmbeddingParameterCount;
        double expected = 4 * (backbone + 4.0 * 2 * 4 * 4 * 4) + 1 * 2.0 * 40 * 16   // prompt: 4 positions, one projected
                          + Forward(model, 1, 5);                                      // one new position attending to 5
        Assert.Equal((long)expected, ModelFlops.OnThisThread - before);
        Assert.True(ModelFlops.Total >= ModelFlops.OnThisThread - before);
    }
}
