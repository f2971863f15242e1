using PrefLab.Models.Config;
using PrefLab.Models.Layers;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models;

/// <summary>
/// Random initialisation as Hugging Face's <c>_init_weights</c>: linear weights and embeddings N(0,
/// initializer_range), biases 0, norm weights 1 (and LayerNorm biases 0), the padding row of a Llama-family token
/// embedding 0, GPT-2's c_proj weights N(0, initializer_range / sqrt(2 n_layer)), a score head
/// N(0, 1/sqrt(hidden+1)). One named random stream per model, visited in module order: same seed, same weights.
/// (Tensor.normal_ with a generator, not nn.init.normal_: TorchSharp 0.107's init.normal_ ignores its generator.)
/// </summary>
public static class ModelInitializer
{
    public static void Initialize(PretrainedModel model, long seed)
    {
        var config = model.Config;
        double std = config.InitializerRange;
        using var generator = Seeding.TorchStream(seed, "model-init");
        using var noGrad = no_grad();
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case Linear linear when name == "score":
                    linear.Weight.normal_(0, ScalarHeadModel.ScoreInitStd(config.HiddenSize), generator);
                    break;
                case Linear linear:
                    bool residualProjection = config.Family == ModelFamily.Gpt2 && name.EndsWith("c_proj", StringComparison.Ordinal);
                    linear.Weight.normal_(0, residualProjection ? std / Math.Sqrt(2.0 * config.NumLayers) : std, generator);
                    linear.Bias?.zero_();
                    break;
                case Embedding embedding:
                    embedding.Weight.normal_(0, std, generator);
                    bool tokenTable = name.EndsWith("embed_tokens", StringComparison.Ordinal);
                    if (tokenTable && config.PadTokenId is int pad && pad >= 0 && pad < config.VocabSize)
                        embedding.Weight[pad].zero_();
                    break;
                case RmsNorm norm:
                    norm.Weight.fill_(1.0);
                    break;
                case Layers.LayerNorm layerNorm:
                    foreach (var (parameterName, parameter) in layerNorm.named_parameters())
                        if (parameterName == "weight") parameter.fill_(1.0); else parameter.zero_();
                    break;
            }
        }
    }

    /// <summary>Draws a new score head from N(0, 1/sqrt(hidden+1)).</summary>
    internal static void InitializeScore(Linear score, long seed)
    {
        using var generator = Seeding.TorchStream(seed, "score-head-init");
        using var noGrad = no_grad();
        score.Weight.normal_(0, 1.0 / Math.Sqrt(score.Weight.shape[1] + 1), generator);
    }
}
