using PrefLab.Models.Config;
using PrefLab.Models.Layers;
using PrefLab.Runtime;
using TorchSharp.Modules;
using Embedding = PrefLab.Models.Layers.Embedding;
using LayerNorm = PrefLab.Models.Layers.LayerNorm;
using Linear = PrefLab.Models.Layers.Linear;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace PrefLab.Models.Architectures;

/// <summary>Hugging Face's <c>GPT2Model</c>: wte + wpe, blocks h, ln_f. Linear weights in Conv1D layout [in, out].</summary>
public sealed class Gpt2Backbone : Backbone
{
    [ComponentName(Name = "wte")] readonly Embedding wte;
    [ComponentName(Name = "wpe")] readonly Embedding wpe;
    [ComponentName(Name = "h")] readonly ModuleList<Gpt2Block> h;
    [ComponentName(Name = "ln_f")] readonly LayerNorm lnF;
    readonly Gpt2Config config;

    public Gpt2Backbone(Gpt2Config config, ComputePrecision precision) : base(nameof(Gpt2Backbone), config, precision)
    {
        this.config = config;
        wte = new Embedding(config.VocabSize, config.HiddenSize);
        wpe = new Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        h = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(i => new Gpt2Block(config, i, precision)).ToArray());
        lnF = new LayerNorm(config.HiddenSize, config.LayerNormEpsilon);
        RegisterComponents();
    }

    public override Embedding TokenEmbedding => wte;

    public override Tensor forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var inputs = ForwardInputs.Prepare(inputIds, attentionMask, positionIds, cache, config.VocabSize, window: null);
        long lastPosition = inputs.PositionIds.max().item<long>();
        if (lastPosition >= config.MaxPositionEmbeddings)
            throw new UserError($"position {lastPosition} is beyond GPT-2's n_positions {config.MaxPositionEmbeddings}: shorten the sequence");
        var hidden = wte.forward(inputIds) + wpe.forward(inputs.PositionIds); // [B, T, H]
        bool checkpoint = LayerCheckpoint.Applies(Precision, cache);
        for (int i = 0; i < h.Count; i++)
        {
            var block = h[i];
            hidden = checkpoint
                ? LayerCheckpoint.Apply((x, e) => block.forward(x, e[0], inputs.CausalFlag, null), hidden, inputs.Mask)
                : block.forward(hidden, inputs.Mask, inputs.CausalFlag, cache);
        }
        return lnF.forward(hidden).MoveToOuterDisposeScope();
    }
}

/// <summary>x + attn(ln_1(x)), then + mlp(ln_2(.)).</summary>
public sealed class Gpt2Block : nn.Module
{
    [ComponentName(Name = "ln_1")] readonly LayerNorm ln1;
    [ComponentName(Name = "attn")] readonly Gpt2Attention attn;
    [ComponentName(Name = "ln_2")] readonly LayerNorm ln2;
    [ComponentName(Name = "mlp")] readonly Gpt2Mlp mlp;

    public Gpt2Block(Gpt2Config config, int layer, ComputePrecision precision) : base(nameof(Gpt2Block))
    {
        ln1 = new LayerNorm(config.HiddenSize, config.LayerNormEpsilon);
        attn = new Gpt2Attention(config, layer, precision);
        ln2 = new LayerNorm(config.HiddenSize, config.LayerNormEpsilon);
        mlp = new Gpt2Mlp(config, precision);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor? mask, bool causal, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = x + attn.forward(ln1.forward(x), mask, causal, cache);
        return (h + mlp.forward(ln2.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>Fused c_attn (q, k, v in that order along the output), c_proj.</summary>
public sealed class Gpt2Attention : nn.Module
{
    [ComponentName(Name = "c_attn")] readonly Linear cAttn;
    [ComponentName(Name = "c_proj")] readonly Linear cProj;
    readonly int heads, headDim, layer;
    readonly double queryScale;

    public Gpt2Attention(Gpt2Config config, int layer, ComputePrecision precision) : base(nameof(Gpt2Attention))
    {
        heads = config.NumHeads;
        headDim = config.HeadDim;
        this.layer = layer;
        cAttn = new Linear(config.HiddenSize, 3L * config.HiddenSize, true, precision, inputMajor: true);
        cProj = new Linear(config.HiddenSize, config.HiddenSize, true, precision, inputMajor: true);
        // scaled_dot_product_attention divides by sqrt(head_dim); fold GPT-2's other choices into the query.
        double scale = config.ScaleAttnWeights ? 1.0 : Math.Sqrt(headDim);
        if (config.ScaleAttnByInverseLayerIdx) scale /= layer + 1;
        queryScale = scale;
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor? mask, bool causal, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        var qkv = cAttn.forward(x).view(batch, length, 3, heads, headDim).permute(2, 0, 3, 1, 4); // [3, B, nH, T, D]
        var q = qkv[0];
        var k = qkv[1];
        var v = qkv[2];
        if (queryScale != 1.0) q = q * queryScale;
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        var attended = nn.functional.scaled_dot_product_attention(q, k, v, mask, 0.0, causal); // [B, nH, T, D]
        var merged = attended.transpose(1, 2).reshape(batch, length, heads * headDim);
        return cProj.forward(merged).MoveToOuterDisposeScope();
    }
}

/// <summary>c_proj(act(c_fc(x))).</summary>
public sealed class Gpt2Mlp : nn.Module
{
    [ComponentName(Name = "c_fc")] readonly Linear cFc;
    [ComponentName(Name = "c_proj")] readonly Linear cProj;
    readonly string activation;

    public Gpt2Mlp(Gpt2Config config, ComputePrecision precision) : base(nameof(Gpt2Mlp))
    {
        activation = config.HiddenAct;
        cFc = new Linear(config.HiddenSize, config.IntermediateSize, true, precision, inputMajor: true);
        cProj = new Linear(config.IntermediateSize, config.HiddenSize, true, precision, inputMajor: true);
        RegisterComponents();
    }

    public Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return cProj.forward(Activations.Apply(activation, cFc.forward(x))).MoveToOuterDisposeScope();
    }
}
