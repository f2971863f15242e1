using PrefLab.Algorithms.GroupRl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Algorithms.Ppo;
using PrefLab.Models.LogProbs;
using PrefLab.Tests.Generation;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms.OnlineRl;

/// <summary>The invariants of the rollout and update path, on the numbers the loop itself computes.</summary>
public class RolloutInvariantTests : SingleThreadedTests
{
    [Fact]
    public void PPO_first_minibatch_of_each_update_has_ratio_exactly_one_and_no_clipping()
    {
        using var setup = new TinyRlSetup();
        var reports = new List<MinibatchReport>();
        // Two passes of two minibatches, each accumulated over micro-batches of two rows, at a high learning rate.
        PpoJob.Run(setup.Ppo("ppo").WithTraining(t => t with { MaxSteps = 2 }) with { PpoEpochs = 2, NumMinibatches = 2, ForwardBatchSize = 2, OnMinibatch = reports.Add });

        Assert.Equal(2 * 2 * 2, reports.Count);
        var firsts = reports.Where(r => r.Epoch == 0 && r.Minibatch == 0).ToList();
        Assert.Equal(new long[] { 1, 2 }, firsts.Select(r => r.Step));
        foreach (var first in firsts)
        {
            Assert.Equal(0.0, first.MaxRatioDeviation);   // ρ = exp(new - old) is exactly 1 on every token
            Assert.Equal(0.0, first.ClipFraction);
            Assert.Equal(0.0, first.ApproxKl);
            Assert.Equal(0.0, first.ValueClipFraction);
            Assert.Equal(4, first.Rows);
        }
        // Negative control: after the first optimizer step the policy has moved, and the ratio shows it.
        var later = reports.Where(r => r.Epoch > 0 || r.Minibatch > 0).ToList();
        Assert.All(later, r => Assert.True(r.MaxRatioDeviation > 1e-4, $"update {r.Step} pass {r.Epoch} minibatch {r.Minibatch}: {r.MaxRatioDeviation}"));
    }

    [Theory]
    [InlineData(GroupRlAlgorithm.Grpo)]
    [InlineData(GroupRlAlgorithm.Rloo)]
    public void Group_RL_first_minibatch_has_ratio_exactly_one(GroupRlAlgorithm algorithm)
    {
        using var setup = new TinyRlSetup();
        var reports = new List<MinibatchReport>();
        GroupRlJob.Run(setup.Group(algorithm, "group") with { PpoEpochs = 2, NumMinibatches = 2, ForwardBatchSize = 4, OnMinibatch = reports.Add });
        var firsts = reports.Where(r => r.Epoch == 0 && r.Minibatch == 0).ToList();
        Assert.Equal(2, firsts.Count);
        Assert.All(firsts, r => Assert.Equal(0.0, r.MaxRatioDeviation));
        Assert.All(firsts, r => Assert.Equal(0.0, r.ClipFraction));
        Assert.All(firsts, r => Assert.Null(r.ValueClipFraction));
        Assert.Contains(reports, r => r.MaxRatioDeviation > 1e-4);
    }

    [Fact]
    public void Rollout_log_probs_of_the_training_forward_equal_the_generation_log_probs_at_the_sampling_temperature()
    {
        using var setup = new TinyRlSetup();
        var options = setup.Ppo("unused") with { RolloutBatchSize = 8, MaxNewTokens = 12, Temperature = 0.7 };
        using var session = OnlineRlSession.Open(options);
        using var scope = NewDisposeScope();
        var rollout = session.Engine.Sample(step: 0, samplesPerPrompt: 2);               // 16 rows, prompts of different lengths
        var plan = MinibatchPlan.Create(options.Training.Seed, 0, 0, rollout.Rows, minibatches: 1, microBatchSize: 5);
        session.Engine.ComputeLogProbs(rollout, plan.MicroBatches);
        var mask = rollout.Batch.ResponseMask;
        Assert.True(rollout.Batch.ResponseLength > 4);

        double difference = (rollout.OldLogProbs - rollout.Batch.LogProbs).abs().max().item<float>();
        Assert.True(difference <= 1e-5, $"max |training - generation| = {difference}");
        Assert.Equal(0.0, Masks.Fill(rollout.OldLogProbs, mask.logical_not()).abs().max().item<float>()); // 0 at padding
        // The reference is the initial policy: its log-probs equal the policy's bit for bit before any update.
        Assert.True(rollout.RefLogProbs.equal(rollout.OldLogProbs).all().item<bool>());

        // Negative control: the same forward at temperature 1 does not match.
        using var noGrad = no_grad();
        var slice = rollout.Slice(Enumerable.Range(0, rollout.Rows).ToArray());
        var atOne = PolicyForward.ResponseLogProbs(session.Policy, slice.InputIds, slice.AttentionMask, slice.ResponseIds, slice.ResponseMask, 1.0);
        Assert.True((atOne - rollout.Batch.LogProbs).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Score_lands_on_the_EOS_index_and_the_penalty_replaces_it_exactly_when_EOS_is_missing()
    {
        using var setup = new TinyRlSetup();
        int withEos = 0, withoutEos = 0;
        // One update: the policy equals the reference, so every KL term is exactly 0 and the per-token reward is
        // the score alone. At temperature 4 sampling is near uniform over 51 ids: within 16 new tokens some responses
        // end with EOS (id 3), others are cut at the limit.
        PpoJob.Run(setup.Ppo("eos").WithTraining(t => t with { MaxSteps = 1 }) with
        {
            MaxNewTokens = 16, RolloutBatchSize = 16, GenerationBatchSize = 16, Temperature = 4.0,
            OnRewards = (rollout, shaped) =>
            {
                var ids = rollout.Batch.ResponseIds.data<long>().ToArray();
                var mask = rollout.Batch.ResponseMask.data<bool>().ToArray();
                var hasEos = rollout.Batch.HasEos.data<bool>().ToArray();
                var rewards = TinyRlSetup.Doubles(shaped.Rewards);
                var scores = TinyRlSetup.Doubles(rollout.Scores);
                var used = TinyRlSetup.Doubles(shaped.Scores);
                var last = shaped.LastIndex.data<long>().ToArray();
                int width = (int)rollout.Batch.ResponseLength;
                for (int row = 0; row < rollout.Rows; row++)
                {
                    var rowIds = ids.Skip(row * width).Take(width).ToArray();
                    int length = mask.Skip(row * width).Take(width).Count(m => m);
                    int eos = Array.IndexOf(rowIds, 3L);
                    bool ended = eos >= 0 && eos < length;
                    Assert.Equal(ended, hasEos[row]);
                    if (ended) { withEos++; Assert.Equal(length - 1, eos); } else withoutEos++;
                    Assert.Equal(length - 1, last[row]);
                    double expected = ended ? scores[row] : -10.0;
                    Assert.Equal(expected, used[row]);
                    for (int t = 0; t < width; t++)
                        Assert.Equal(t == length - 1 ? expected : 0.0, rewards[row * width + t]);
                }
            },
        });
        Assert.True(withEos > 0 && withoutEos > 0, $"{withEos} responses with EOS, {withoutEos} without: the test needs both");
    }

    [Fact]
    public void Reward_model_scores_the_same_through_ids_and_through_re_rendered_text()
    {
        using var setup = new TinyRlSetup();
        // A copy of the reward model whose tokenizer.json differs in bytes (not in meaning): the scorer must then
        // decode and re-render. The World tokenizer is word-level, so both paths give the same tokens for responses
        // that end with EOS and hold no special tokens.
        string copy = setup.Folder("rm-copy");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(setup.RewardModel)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        File.AppendAllText(Path.Combine(copy, "tokenizer.json"), "\n");
        using var session = OnlineRlSession.Open(setup.Ppo("unused"));
        Assert.True(session.RewardSharesTokens);
        using var other = RewardModelScorer.Load(copy, setup.Policy, session.Chat.Format, forwardBatch: 3);
        Assert.False(other.PassesIds);

        var prompts = new[] { "what is the capital of france ?", "is the sky blue ?", "hello world", "add 2 and 2 ." };
        var responses = new[] { "paris .", "yes , the sky is blue .", "hello", "2 + 2 = 4 ." };
        var messages = prompts.Select(p => (IReadOnlyList<PrefLab.Data.Records.Message>)new[] { PrefLab.Data.Records.Message.User(p) }).ToList();
        var promptIds = messages.Select(session.Chat.Prompt).ToList();
        var responseIds = responses.Select(r => session.Tokenizer.Encode(r, addSpecialTokens: false).Append(GenerationFixtures.Eos).ToArray()).ToList();
        int promptWidth = promptIds.Max(p => p.Length), responseWidth = responseIds.Max(r => r.Length), width = promptWidth + responseWidth;
        var ids = new long[prompts.Length * width];
        var attention = new long[prompts.Length * width];
        for (int i = 0; i < prompts.Length; i++)
        {
            int offset = i * width + promptWidth - promptIds[i].Length;    // left-padded prompt, then the response
            for (int t = 0; t < promptIds[i].Length; t++) { ids[offset + t] = promptIds[i][t]; attention[offset + t] = 1; }
            for (int t = 0; t < responseIds[i].Length; t++) { ids[i * width + promptWidth + t] = responseIds[i][t]; attention[i * width + promptWidth + t] = 1; }
        }
        using var scope = NewDisposeScope();
        var batch = new ScoringBatch(messages, responses, tensor(ids, new long[] { prompts.Length, width }), tensor(attention, new long[] { prompts.Length, width }));
        var byIds = session.Reward.Score(batch);
        var byText = other.Score(batch);
        for (int i = 0; i < byIds.Length; i++) Assert.Equal(byIds[i], byText[i], 5);
        Assert.True(byIds.Distinct().Count() == byIds.Length); // the scores depend on the response
        // Negative control: a response text that is not what the ids say scores differently through the text path.
        var wrong = other.Score(batch with { Responses = responses.Reverse().ToArray() });
        Assert.NotEqual(byIds[0], wrong[0], 5);
    }

    [Fact]
    public void Live_tensor_count_is_flat_across_updates()
    {
        using var setup = new TinyRlSetup();
        var counts = new Dictionary<long, long>();
        PpoJob.Run(setup.Ppo("flat").WithTraining(t => t with { MaxSteps = 6 }) with { NumMinibatches = 2, AfterStep = s => counts[s] = PrefLab.Runtime.LiveTensors.Count });
        Assert.Equal(counts[2], counts[6]);
    }
}
