using PrefLab.Models.Checkpoints;
using PrefLab.Models.Config;
using PrefLab.Models.Layers;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models;

/// <summary>
/// A backbone with a bias-free <c>score</c> Linear(hidden, 1): reward models and PPO value models, saved as
/// Hugging Face's <c>*ForSequenceClassification</c> with <c>num_labels: 1</c>. The sequence score is read at the
/// last real token of each row, found from the attention mask (so left padding, right padding and pad id ==
/// EOS id all work, unlike a search for the pad id).
/// </summary>
public sealed class ScalarHeadModel : PretrainedModel
{
    /// <summary>Standard deviation of a new score head: 1/sqrt(hidden + 1).</summary>
    public static double ScoreInitStd(int hidden) => 1.0 / Math.Sqrt(hidden + 1);

    readonly Linear score;

    public ScalarHeadModel(ModelConfig config, ComputePrecision? precision = null) : base(nameof(ScalarHeadModel), config, precision)
    {
        score = new Linear(config.HiddenSize, 1, false, Precision);
        register_module("score", score);
    }

    public override ModelHead Head => ModelHead.Scalar;

    /// <summary>The score head's weight [1, hidden].</summary>
    public TorchSharp.Modules.Parameter ScoreWeight => score.Weight;

    public static ScalarHeadModel Create(ModelConfig config, long seed, ComputePrecision? precision = null)
    {
        var model = new ScalarHeadModel(config, precision);
        model.InitializeWeights(seed);
        return model;
    }

    /// <summary>Loads a <c>*ForSequenceClassification</c> folder with one label.</summary>
    public static ScalarHeadModel Load(string folder, ComputePrecision? precision = null)
    {
        TorchRuntime.EnsureLoaded();
        var config = ModelConfigs.Load(folder);
        CheckDeclaredHead(config, ModelHead.Scalar, folder);
        CheckOneLabel(config, folder);
        var model = new ScalarHeadModel(config, precision);
        try
        {
            using var checkpoint = Checkpoint.Open(folder);
            foreach (var t in model.LoadWeights(checkpoint, new HashSet<string>()).Values) t.Dispose();
            model.GenerationConfig = ModelFolder.ReadGenerationConfig(folder);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A reward/value model from a causal LM folder: its backbone, a new score head drawn from
    /// N(0, 1/sqrt(hidden+1)) with <paramref name="seed"/>; the LM head is dropped.</summary>
    public static ScalarHeadModel FromCausalLM(string folder, long seed, ComputePrecision? precision = null)
    {
        TorchRuntime.EnsureLoaded();
        var config = ModelConfigs.Load(folder);
        CheckDeclaredHead(config, ModelHead.CausalLM, folder);
        var model = new ScalarHeadModel(config, precision);
        try
        {
            using var checkpoint = Checkpoint.Open(folder);
            // The checkpoint has no score.weight and an lm_head.weight we drop: load the backbone, then draw the head.
            model.LoadWeights(checkpoint, skip: new HashSet<string>(), absent: new HashSet<string> { "score.weight" },
                ignore: new HashSet<string> { "lm_head.weight" });
            ModelInitializer.InitializeScore(model.score, seed);
            model.GenerationConfig = ModelFolder.ReadGenerationConfig(folder);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Per-token scalars [B, T] (the PPO value model's values at every position).</summary>
    public Tensor TokenValues(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null)
    {
        using var hidden = HiddenStates(inputIds, attentionMask, positionIds);
        using var values = score.forward(hidden); // [B, T, 1]
        return values.squeeze(-1);
    }

    /// <summary>One score per row [B], read at the last real token (see <see cref="LastTokenIndex"/>).</summary>
    public Tensor Scores(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null)
    {
        using var scope = NewDisposeScope();
        var hidden = HiddenStates(inputIds, attentionMask, positionIds);                 // [B, T, H]
        var last = attentionMask is null
            ? full(inputIds.shape[0], inputIds.shape[1] - 1, ScalarType.Int64)
            : LastTokenIndex(attentionMask);                                          // [B]
        var picked = hidden.gather(1, last.view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1); // [B, H]
        return score.forward(picked).squeeze(-1).MoveToOuterDisposeScope();           // [B]
    }

    /// <summary>Index of the last position whose mask is non-zero in each row of <paramref name="attentionMask"/> [B, T]
    /// (0 for a row with no real token): right padding gives (real tokens - 1), left padding T - 1. (A packed row's
    /// segment ids count as real tokens: the row's last token, not one per example.)</summary>
    public static Tensor LastTokenIndex(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        long length = attentionMask.shape[1];
        var positions = arange(length, dtype: ScalarType.Int64).unsqueeze(0);         // [1, T]
        var marked = attentionMask.ne(0).to(ScalarType.Int64) * (positions + 1);     // 0 at padding, position+1 at real tokens
        return (marked.amax(new long[] { 1 }) - 1).clamp_min(0).MoveToOuterDisposeScope();
    }

    static void CheckOneLabel(ModelConfig config, string folder)
    {
        var source = config.Source;
        if (source is null) return;
        int labels = source["num_labels"]?.GetValue<int>() ?? (source["id2label"] as System.Text.Json.Nodes.JsonObject)?.Count ?? 1;
        if (labels != 1)
            throw new UserError($"{Path.Combine(folder, ModelFolder.ConfigFileName)}: field 'num_labels': a reward/value model has 1 label, not {labels}");
    }
}
