using PrefLab.Models.Config;
using PrefLab.Models.Layers;
using TorchSharp.Modules;
using Embedding = PrefLab.Models.Layers.Embedding;
using Linear = PrefLab.Models.Layers.Linear;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace PrefLab.Models.Architectures;

/// <summary>Hugging Face's <c>LlamaModel</c> (and Mistral/Qwen2/Qwen3): embed_tokens, layers, norm.</summary>
public sealed class RotaryDecoder : Backbone
{
    [ComponentName(Name = "embed_tokens")] readonly Embedding embedTokens;
    [ComponentName(Name = "layers")] readonly ModuleList<RotaryDecoderLayer> layers;
    [ComponentName(Name = "norm")] readonly RmsNorm norm;
    readonly RotaryEmbedding rotary;
    readonly RotaryDecoderConfig config;

    public RotaryDecoder(RotaryDecoderConfig config, ComputePrecision precision) : base(nameof(RotaryDecoder), config, precision)
    {
        this.config = config;
        embedTokens = new Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(i => new RotaryDecoderLayer(config, precision)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        rotary = new RotaryEmbedding(config.Rope, config.HeadDim);
        RegisterComponents();
    }

    public override Embedding TokenEmbedding => embedTokens;

    public override Tensor forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var inputs = ForwardInputs.Prepare(inputIds, attentionMask, positionIds, cache, config.VocabSize, config.SlidingWindow);
        var (cos, sin) = rotary.CosSin(inputs.PositionIds);
        var hidden = embedTokens.forward(inputIds); // [B, T, H]
        bool checkpoint = LayerCheckpoint.Applies(Precision, cache);
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            int index = i;                                                                  // the closure's own copy
            hidden = checkpoint
                ? LayerCheckpoint.Apply((x, e) => layer.forward(x, e[0]!, e[1]!, e[2], inputs.CausalFlag, null, index, rotary), hidden, cos, sin, inputs.Mask)
                : layer.forward(hidden, cos, sin, inputs.Mask, inputs.CausalFlag, cache, index, rotary);
        }
        return norm.forward(hidden).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) rotary.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>One pre-norm block: x + attn(norm(x)), then + mlp(norm(.)).</summary>
public sealed class RotaryDecoderLayer : nn.Module
{
    [ComponentName(Name = "self_attn")] readonly RotaryAttention selfAttn;
    [ComponentName(Name = "mlp")] readonly GatedMlp mlp;
    [ComponentName(Name = "input_layernorm")] readonly RmsNorm inputLayernorm;
    [ComponentName(Name = "post_attention_layernorm")] readonly RmsNorm postAttentionLayernorm;

    public RotaryDecoderLayer(RotaryDecoderConfig config, ComputePrecision precision) : base(nameof(RotaryDecoderLayer))
    {
        selfAttn = new RotaryAttention(config, precision);
        mlp = new GatedMlp(config, precision);
        inputLayernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        postAttentionLayernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int layer, RotaryEmbedding rotary)
    {
        using var scope = NewDisposeScope();
        var h = x + selfAttn.forward(inputLayernorm.forward(x), cos, sin, mask, causal, cache, layer, rotary);
        return (h + mlp.forward(postAttentionLayernorm.forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>Grouped-query attention with rotary positions; q_norm/k_norm per head for Qwen3.</summary>
public sealed class RotaryAttention : nn.Module
{
    [ComponentName(Name = "q_proj")] readonly Linear qProj;
    [ComponentName(Name = "k_proj")] readonly Linear kProj;
    [ComponentName(Name = "v_proj")] readonly Linear vProj;
    [ComponentName(Name = "o_proj")] readonly Linear oProj;
    [ComponentName(Name = "q_norm")] readonly RmsNorm? qNorm;
    [ComponentName(Name = "k_norm")] readonly RmsNorm? kNorm;
    readonly int heads, kvHeads, headDim;

    public RotaryAttention(RotaryDecoderConfig config, ComputePrecision precision) : base(nameof(RotaryAttention))
    {
        heads = config.NumHeads;
        kvHeads = config.NumKvHeads;
        headDim = config.HeadDim;
        qProj = new Linear(config.HiddenSize, heads * headDim, config.QkvBias, precision);
        kProj = new Linear(config.HiddenSize, kvHeads * headDim, config.QkvBias, precision);
        vProj = new Linear(config.HiddenSize, kvHeads * headDim, config.QkvBias, precision);
        oProj = new Linear(heads * headDim, config.HiddenSize, config.OutputBias, precision);
        if (config.QkNorm)
        {
            qNorm = new RmsNorm(headDim, config.RmsNormEps);
            kNorm = new RmsNorm(headDim, config.RmsNormEps);
        }
        RegisterComponents();
    }

    /// <summary>x [B, T, H] -> [B, T, H].</summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool causal, KvCache? cache, int layer, RotaryEmbedding rotary)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        var q = qProj.forward(x).view(batch, length, heads, headDim);     // [B, T, nH, D]
        var k = kProj.forward(x).view(batch, length, kvHeads, headDim);   // [B, T, kvH, D]
        var v = vProj.forward(x).view(batch, length, kvHeads, headDim).transpose(1, 2); // [B, kvH, T, D]
        if (qNorm is not null) q = qNorm.forward(q);
        if (kNorm is not null) k = kNorm!.forward(k);
        q = rotary.Apply(q.transpose(1, 2), cos, sin);                    // [B, nH, T, D]
        k = rotary.Apply(k.transpose(1, 2), cos, sin);                    // [B, kvH, T, D]
        if (cache is not null) (k, v) = cache.Append(layer, k, v);        // [B, kvH, past+T, D]
        var attended = Attention.Grouped(q, k, v, mask, causal, heads / kvHeads);  // [B, nH, T, D]
        var merged = attended.transpose(1, 2).reshape(batch, length, heads * headDim);
        return oProj.forward(merged).MoveToOuterDisposeScope();
    }
}

/// <summary>down_proj(act(gate_proj(x)) * up_proj(x)).</summary>
public sealed class GatedMlp : nn.Module
{
    [ComponentName(Name = "gate_proj")] readonly Linear gateProj;
    [ComponentName(Name = "up_proj")] readonly Linear upProj;
    [ComponentName(Name = "down_proj")] readonly Linear downProj;
    readonly string activation;

    public GatedMlp(RotaryDecoderConfig config, ComputePrecision precision) : base(nameof(GatedMlp))
    {
        activation = config.HiddenAct;
        gateProj = new Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, precision);
        upProj = new Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, precision);
        downProj = new Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, precision);
        RegisterComponents();
    }

    public Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var gated = Activations.Apply(activation, gateProj.forward(x)) * upProj.forward(x);
        return downProj.forward(gated).MoveToOuterDisposeScope();
    }
}

internal static class Attention
{
    /// <summary>
    /// Grouped-query attention of q [B, nH, T, D] over k, v [B, kvH, S, D], query head h reading kv head h / n.
    /// With an explicit mask (or none) the n query heads of a group are stacked along the query axis, so the
    /// cached keys and values are never copied (decoding reads the whole cache every step); the causal flag's
    /// top-left alignment needs square per-head blocks, so that path repeats K and V as Hugging Face does.
    /// </summary>
    public static Tensor Grouped(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, int repeats)
    {
        if (repeats == 1) return nn.functional.scaled_dot_product_attention(q, k, v, mask, 0.0, causal);
        if (causal)
            return nn.functional.scaled_dot_product_attention(q, RepeatKv(k, repeats), RepeatKv(v, repeats), null, 0.0, true);
        using var scope = NewDisposeScope();
        long b = q.shape[0], heads = q.shape[1], t = q.shape[2], d = q.shape[3], kvHeads = k.shape[1];
        var stacked = q.reshape(b, kvHeads, repeats * t, d);                          // rows r*T + i of group g: head g*n + r
        var stackedMask = mask?.repeat(1, 1, repeats, 1);                              // [B, 1, n*T, S]
        var attended = nn.functional.scaled_dot_product_attention(stacked, k, v, stackedMask, 0.0, false);
        return attended.reshape(b, heads, t, d).MoveToOuterDisposeScope();
    }

    /// <summary>Hugging Face's repeat_kv: [B, kvH, S, D] -> [B, kvH*n, S, D], each kv head repeated n times
    /// consecutively (query head h reads kv head h / n).</summary>
    public static Tensor RepeatKv(Tensor x, int repeats)
    {
        if (repeats == 1) return x;
        long b = x.shape[0], h = x.shape[1], s = x.shape[2], d = x.shape[3];
        return x.unsqueeze(2).expand(b, h, repeats, s, d).reshape(b, h * repeats, s, d);
    }
}
