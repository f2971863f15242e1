using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Runtime;
using PrefLab.Text;
using PrefLab.Text.Chat;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// A trained reward model as the reward: its scalar head's output at the last real token of prompt + response
/// (the response's EOS). When the reward model tokenizes and renders chats like the policy (same tokenizer.json
/// content hash, same chat format) the policy's ids are scored directly; otherwise each response is decoded and
/// prompt + response re-rendered with the reward model's tokenizer and chat format.
/// </summary>
public sealed class RewardModelScorer : IRewardScorer
{
    readonly ScalarHeadModel model;
    readonly ChatTokenizer chat;
    readonly int forwardBatch;

    RewardModelScorer(string folder, ScalarHeadModel model, ChatTokenizer chat, bool passesIds, int forwardBatch)
    {
        Folder = folder;
        this.model = model;
        this.chat = chat;
        PassesIds = passesIds;
        this.forwardBatch = forwardBatch;
    }

    public string Folder { get; }
    /// <summary>True when the policy's token ids are scored as they are (no re-tokenization).</summary>
    public bool PassesIds { get; }

    /// <param name="policyFolder">The policy folder, whose tokenizer decides whether ids can be passed.</param>
    /// <param name="policyFormat">The policy's chat format.</param>
    public static RewardModelScorer Load(string folder, string policyFolder, ChatFormat policyFormat, int forwardBatch)
    {
        if (!Directory.Exists(folder)) throw UserError.InOption("reward-model", $"folder not found: {folder}");
        var tokenizer = TokenizerLoader.Load(folder);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        bool same = TokenizerIdentity.Same(folder, policyFolder) && chat.Format.Name == policyFormat.Name;
        var model = ScalarHeadModel.Load(folder);
        foreach (var parameter in model.parameters()) parameter.requires_grad_(false);
        return new RewardModelScorer(Path.GetFullPath(folder), model, chat, same, forwardBatch);
    }

    public JsonObject Describe() => new()
    {
        ["kind"] = "reward_model",
        ["folder"] = Folder,
        ["tokens"] = PassesIds ? "policy ids passed directly (same tokenizer.json and chat format)"
            : "responses decoded and re-rendered with the reward model's tokenizer and chat format",
        ["chat_format"] = chat.Format.Name,
    };

    public double[] Score(ScoringBatch batch)
    {
        using var noGrad = no_grad();
        return PassesIds ? ScoreIds(batch.InputIds, batch.AttentionMask) : ScoreTexts(batch);
    }

    double[] ScoreIds(Tensor inputIds, Tensor attentionMask)
    {
        var scores = new List<double>();
        long rows = inputIds.shape[0];
        for (long start = 0; start < rows; start += forwardBatch)
        {
            using var scope = NewDisposeScope();
            long n = Math.Min(forwardBatch, rows - start);
            var values = model.Scores(inputIds.narrow(0, start, n), attentionMask.narrow(0, start, n)); // [n]
            scores.AddRange(values.to_type(ScalarType.Float64).data<double>().ToArray());
        }
        return scores.ToArray();
    }

    double[] ScoreTexts(ScoringBatch batch)
    {
        int maxLength = model.Config.MaxPositionEmbeddings;
        var sequences = new TokenizedSequence[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var report = new CollationReport();
            sequences[i] = chat.Scored(batch.Prompts[i], batch.Responses[i], maxLength, report)
                ?? throw new UserError($"{Folder}: a prompt + response does not fit the reward model's {maxLength} positions ({report}); lower --max-new-tokens or --max-prompt-length");
        }
        var scores = new double[batch.Count];
        for (int start = 0; start < sequences.Length; start += forwardBatch)
        {
            using var scope = NewDisposeScope();
            var chunk = sequences.Skip(start).Take(forwardBatch).ToList();
            var padded = Collator.Pad(chunk, chat.PadId);
            var values = model.Scores(padded.InputIds, padded.AttentionMask).to_type(ScalarType.Float64).data<double>().ToArray();
            values.CopyTo(scores, start);
        }
        return scores;
    }

    public void Dispose() => model.Dispose();
}
