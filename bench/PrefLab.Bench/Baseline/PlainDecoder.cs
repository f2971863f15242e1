using PrefLab.Models.Architectures;
using PrefLab.Models.Config;
using PrefLab.Models.Layers;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PrefLab.Bench.Baseline;

/// <summary>
/// The model a user would assemble with TorchSharp alone for the plain-loop baseline: TorchSharp's own
/// <c>nn.Embedding</c> and <c>nn.Linear</c> heads around the SAME decoder stack as PrefLab's model — our
/// <see cref="RotaryDecoderLayer"/>s, final <see cref="RmsNorm"/> and <see cref="RotaryEmbedding"/> reused as
/// they are (the layers, not the <c>CausalLM</c> wrapper), so the baseline does the same math per token and
/// the ratio measures what PrefLab's stage code adds or saves around it: input checks, mask building, heads,
/// collation, metrics, logging, syncs. The mask is what a user writes: none and the causal flag for unpadded
/// batches, else causal AND key-padding as a bool [B, 1, T, T] mask with positions cumsum(mask) - 1.
/// </summary>
public sealed class PlainDecoder : nn.Module
{
    readonly TorchSharp.Modules.Embedding embed;
    readonly ModuleList<RotaryDecoderLayer> layers;
    readonly RmsNorm norm;
    readonly TorchSharp.Modules.Linear? lmHead;
    readonly TorchSharp.Modules.Linear? scoreHead;
    readonly RotaryEmbedding rotary;

    /// <param name="scalarHead">A reward/value head (hidden -> 1, no bias) instead of the vocabulary head.</param>
    public PlainDecoder(RotaryDecoderConfig config, bool scalarHead = false) : base(nameof(PlainDecoder))
    {
        var precision = new ComputePrecision();
        embed = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new RotaryDecoderLayer(config, precision)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        rotary = new RotaryEmbedding(config.Rope, config.HeadDim);
        if (scalarHead) scoreHead = nn.Linear(config.HiddenSize, 1, hasBias: false);
        else if (!config.TieWordEmbeddings) lmHead = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        using var noGrad = no_grad();
        foreach (var (_, p) in named_parameters())
            if (p.dim() >= 2) nn.init.normal_(p, 0.0, config.InitializerRange);
    }

    /// <summary>ids [B, T], optional padding mask [B, T] (1 real) -> final hidden states [B, T, H].</summary>
    public Tensor Hidden(Tensor ids, Tensor? paddingMask = null)
    {
        using var scope = NewDisposeScope();
        long batch = ids.shape[0], length = ids.shape[1];
        Tensor positions, mask = null!;
        bool causal = paddingMask is null;
        if (paddingMask is null) positions = arange(length, dtype: ScalarType.Int64).unsqueeze(0);        // [1, T]
        else
        {
            positions = (paddingMask.to_type(ScalarType.Int64).cumsum(-1) - 1).clamp_min(0);              // [B, T]
            var keys = paddingMask.to_type(ScalarType.Bool).view(batch, 1, 1, length);                    // [B, 1, 1, T]
            var lower = ones(length, length, dtype: ScalarType.Bool).tril();                              // [T, T]
            mask = lower.logical_and(keys).logical_or(eye(length, dtype: ScalarType.Bool));               // [B, 1, T, T]
        }
        var (cos, sin) = rotary.CosSin(positions);
        var hidden = embed.forward(ids);                                                                   // [B, T, H]
        for (int i = 0; i < layers.Count; i++) hidden = layers[i].forward(hidden, cos, sin, causal ? null : mask, causal, null, i, rotary);
        return norm.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>hidden [..., H] -> logits [..., V] (lm_head, or the embedding when tied).</summary>
    public Tensor Logits(Tensor hidden) => lmHead is not null ? lmHead.forward(hidden) : nn.functional.linear(hidden, embed.weight!);

    /// <summary>hidden [..., H] -> scores [...] (the scalar head).</summary>
    public Tensor Scores(Tensor hidden) => scoreHead!.forward(hidden).squeeze(-1);

    protected override void Dispose(bool disposing)
    {
        if (disposing) rotary.Dispose();
        base.Dispose(disposing);
    }
}
