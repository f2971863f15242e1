using System.Text.Json.Nodes;
using PrefLab.Data.Records;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// One rollout's samples as a reward function sees them: the prompts (messages up to the user turn), the
/// response texts (special tokens skipped), and the policy's token ids of prompt + response.
/// </summary>
/// <param name="InputIds">int64 [B, P+R]: left-padded prompt, right-padded response (the policy's vocabulary).</param>
/// <param name="AttentionMask">int64 [B, P+R]: 1 on real tokens; a row's last real token is its EOS when it has one.</param>
public sealed record ScoringBatch(IReadOnlyList<IReadOnlyList<Message>> Prompts, IReadOnlyList<string> Responses, Tensor InputIds, Tensor AttentionMask)
{
    public int Count => Responses.Count;
}

/// <summary>A sequence-level reward: one number per prompt + response. Implementations run without gradient.</summary>
public interface IRewardScorer : IDisposable
{
    /// <summary>What run.json records about the reward.</summary>
    JsonObject Describe();

    /// <summary>[B] scores, in the batch's order.</summary>
    double[] Score(ScoringBatch batch);
}
