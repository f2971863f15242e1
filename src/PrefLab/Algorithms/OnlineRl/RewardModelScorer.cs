using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Rewards;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// A trained reward model as the reward: its scalar head's output at the response's EOS, normalised by the
/// folder's <c>reward_normalization.json</c> — r' = (r - mean) / std — unless normalisation is off or the folder
/// has none. The EOS penalty and the KL coefficient are set for a reward of mean 0 and std 1, so the normalised
/// score is the one they were tuned against. When the reward model tokenizes and renders chats like the policy
/// (same tokenizer.json content hash, same chat format) the policy's ids are scored directly (they end at the EOS
/// the policy sampled, the position the head was trained at: see <see cref="ChatTokenizer.Scored"/>); otherwise
/// each response is decoded and prompt + response re-rendered with the reward model's tokenizer and chat format.
/// </summary>
public sealed class RewardModelScorer : IRewardScorer
{
    readonly RewardModel model;
    readonly int forwardBatch;

    RewardModelScorer(RewardModel model, bool passesIds, int forwardBatch)
    {
        this.model = model;
        PassesIds = passesIds;
        this.forwardBatch = forwardBatch;
    }

    public string Folder => model.Folder;
    /// <summary>True when the policy's token ids are scored as they are (no re-tokenization).</summary>
    public bool PassesIds { get; }
    /// <summary>The normalisation applied to every score (identity when off or when the folder stores none).</summary>
    public RewardNormalizer Normalizer => model.Normalizer;
    /// <summary>True when <see cref="Normalizer"/> is the folder's stored normalisation.</summary>
    public bool IsNormalized => model.IsNormalized;
    /// <summary>The folder's stored normalisation (whether or not it is applied), or null.</summary>
    public RewardNormalization? StoredNormalization => model.Normalization;

    /// <param name="policyFolder">The policy folder, whose tokenizer decides whether ids can be passed.</param>
    /// <param name="policyFormat">The policy's chat format.</param>
    /// <param name="normalize">Apply the folder's reward_normalization.json when it has one.</param>
    public static RewardModelScorer Load(string folder, string policyFolder, Text.Chat.ChatFormat policyFormat, int forwardBatch, bool normalize = true)
    {
        if (!Directory.Exists(folder)) throw UserError.InOption("reward-model", $"folder not found: {folder}");
        var model = RewardModel.Load(folder, new RewardModelOptions { BatchSize = forwardBatch, Normalize = normalize });
        try
        {
            foreach (var parameter in model.Model.parameters()) parameter.requires_grad_(false);
            bool same = TokenizerIdentity.Same(folder, policyFolder) && model.Chat.Format.Name == policyFormat.Name;
            return new RewardModelScorer(model, same, forwardBatch);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public JsonObject Describe() => new()
    {
        ["kind"] = "reward_model",
        ["folder"] = Folder,
        ["tokens"] = PassesIds ? "policy ids passed directly (same tokenizer.json and chat format)"
            : "responses decoded and re-rendered with the reward model's tokenizer and chat format",
        ["chat_format"] = model.Chat.Format.Name,
        ["normalization"] = DescribeNormalization(),
    };

    JsonObject DescribeNormalization()
    {
        var stored = model.Normalization;
        if (stored is null)
            return new JsonObject
            {
                ["applied"] = false,
                ["why"] = $"the reward model folder has no {RewardNormalization.FileName} (fit one with `preflab rm normalize`); raw head outputs are the reward",
            };
        var json = new JsonObject
        {
            ["applied"] = IsNormalized,
            ["mean"] = stored.Mean,
            ["std"] = stored.Std,
            ["samples"] = stored.Samples,
            ["file"] = RewardNormalization.PathIn(Folder),
        };
        if (!IsNormalized) json["why"] = "--no-reward-normalization: raw head outputs are the reward";
        return json;
    }

    /// <summary>One line for the console: what the reward's scale is.</summary>
    public string NormalizationNote() => model.Normalization switch
    {
        null => $"reward model {Folder} has no {RewardNormalization.FileName}: scoring with raw head outputs (fit one with `preflab rm normalize`)",
        var n when IsNormalized => $"reward normalised by {RewardNormalization.FileName} (mean {n.Mean:G4}, std {n.Std:G4})",
        _ => "reward normalisation off (--no-reward-normalization): scoring with raw head outputs",
    };

    public double[] Score(ScoringBatch batch)
    {
        using var noGrad = no_grad();
        var raw = PassesIds ? ScoreIds(batch.InputIds, batch.AttentionMask) : ScoreTexts(batch);
        var normalizer = Normalizer;
        return raw.Select(normalizer.Apply).ToArray();
    }

    double[] ScoreIds(Tensor inputIds, Tensor attentionMask)
    {
        var scores = new List<double>();
        long rows = inputIds.shape[0];
        for (long start = 0; start < rows; start += forwardBatch)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(forwardBatch, rows - start);
            var values = model.Model.Scores(inputIds.narrow(0, start, n), attentionMask.narrow(0, start, n)); // [n]
            scores.AddRange(values.to_type(ScalarType.Float64).data<double>().ToArray());
        }
        return scores.ToArray();
    }

    double[] ScoreTexts(ScoringBatch batch)
    {
        var sequences = new TokenizedSequence[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var report = new CollationReport();
            sequences[i] = model.Chat.Scored(batch.Prompts[i], batch.Responses[i], model.MaxLength, report)
                ?? throw new UserError($"{Folder}: a prompt + response does not fit the reward model's {model.MaxLength} positions ({report}); lower --max-new-tokens or --max-prompt-length");
        }
        return model.ScoreSequences(sequences);
    }

    public void Dispose() => model.Dispose();
}
