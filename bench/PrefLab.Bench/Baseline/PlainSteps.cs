using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PrefLab.Bench.Baseline;

/// <summary>
/// One optimizer step of each stage as a user would write it with TorchSharp alone: forward, the stage's loss,
/// zero_grad / backward, global-norm clipping at 1.0 (the recipe PrefLab follows too, so both sides do the same
/// work) and <c>torch.optim.AdamW</c> (betas 0.9 / 0.95, no weight decay). Each step runs in its own dispose scope.
/// </summary>
public static class PlainSteps
{
    public static optim.Optimizer AdamW(nn.Module model, double lr) =>
        optim.AdamW(model.parameters(), lr, 0.9, 0.95, 1e-8, 0.0);

    /// <summary>Next-token cross-entropy over every position of unpadded blocks ids [B, T] (pretraining).</summary>
    public static void LanguageModel(PlainDecoder model, optim.Optimizer optimizer, Tensor ids)
    {
        using var scope = NewDisposeScope();
        long length = ids.shape[1];
        var logits = model.Logits(model.Hidden(ids));                                            // [B, T, V]
        var loss = nn.functional.cross_entropy(logits.narrow(1, 0, length - 1).reshape(-1, logits.shape[2]),
            ids.narrow(1, 1, length - 1).reshape(-1));
        Step(model, optimizer, loss);
    }

    /// <summary>Bradley-Terry on the last token's score: rows 0..n-1 chosen, n..2n-1 rejected, ids [2n, T] unpadded.</summary>
    public static void RewardModel(PlainDecoder model, optim.Optimizer optimizer, Tensor ids)
    {
        using var scope = NewDisposeScope();
        long pairs = ids.shape[0] / 2;
        var rewards = model.Scores(model.Hidden(ids).select(1, -1));                            // [2n]
        var loss = -nn.functional.logsigmoid(rewards.narrow(0, 0, pairs) - rewards.narrow(0, pairs, pairs)).mean();
        Step(model, optimizer, loss);
    }

    /// <summary>DPO (sigmoid, β) against cached reference log-probs [2n]: ids and completion mask [2n, T].</summary>
    public static void Dpo(PlainDecoder model, optim.Optimizer optimizer, Tensor ids, Tensor completionMask, Tensor referenceLogProbs, double beta)
    {
        using var scope = NewDisposeScope();
        long rows = ids.shape[0], pairs = rows / 2, length = ids.shape[1];
        var logits = model.Logits(model.Hidden(ids)).narrow(1, 0, length - 1);                  // [2n, T-1, V]
        var tokens = logits.log_softmax(-1).gather(-1, ids.narrow(1, 1, length - 1).unsqueeze(-1)).squeeze(-1); // [2n, T-1]
        var sums = (tokens * completionMask.narrow(1, 1, length - 1)).sum(-1) - referenceLogProbs; // [2n]
        var margin = sums.narrow(0, 0, pairs) - sums.narrow(0, pairs, pairs);                    // [n]
        var loss = -nn.functional.logsigmoid(margin * beta).mean();
        Step(model, optimizer, loss);
    }

    /// <summary>What PPO's training phase reads from a rollout: [b, P+R] ids and mask, [b, R] response ids and mask,
    /// and the rollout's old log-probs, reference log-probs, old values and scores.</summary>
    public sealed record PpoBatch(Tensor InputIds, Tensor AttentionMask, Tensor ResponseIds, Tensor ResponseMask,
        Tensor OldLogProbs, Tensor RefLogProbs, Tensor OldValues, Tensor Scores);

    /// <summary>
    /// PPO's training phase over one rollout: KL-shaped rewards, GAE (γ 1, λ 0.95) and whitened advantages, then
    /// one pass of micro-batches of <paramref name="forwardBatch"/> rows (one minibatch): clipped policy loss at the
    /// sampling temperature and 0.1 × the clipped value loss, each model with its own AdamW step.
    /// </summary>
    public static void PpoTraining(PlainDecoder policy, optim.Optimizer policyOptimizer, PlainDecoder value, optim.Optimizer valueOptimizer,
        PpoBatch batch, int forwardBatch, double temperature, double klCoef)
    {
        using var scope = NewDisposeScope();
        long rows = batch.InputIds.shape[0], responseLength = batch.ResponseIds.shape[1], promptLength = batch.InputIds.shape[1] - responseLength;
        var mask = batch.ResponseMask.to_type(ScalarType.Float32);                               // [b, R]
        // Rewards: -β (old - ref) per token, the score at each row's last response token.
        var last = (mask.sum(-1).to_type(ScalarType.Int64) - 1).clamp_min(0).unsqueeze(-1);    // [b, 1]
        var rewards = ((batch.RefLogProbs - batch.OldLogProbs) * klCoef * mask).scatter_add(-1, last, batch.Scores.unsqueeze(-1)); // [b, R]
        var advantages = zeros_like(rewards);
        var next = zeros(rows, dtype: ScalarType.Float32);                                       // [b]
        var nextValue = zeros(rows, dtype: ScalarType.Float32);
        for (long t = responseLength - 1; t >= 0; t--)
        {
            var m = mask.select(1, t);
            var v = batch.OldValues.select(1, t);
            var delta = rewards.select(1, t) + nextValue - v;
            next = (delta + next * 0.95) * m;
            nextValue = v * m;
            advantages.select(1, t).copy_(next);
        }
        var returns = advantages + batch.OldValues;
        var count = mask.sum();
        var mean = (advantages * mask).sum() / count;
        var centred = (advantages - mean) * mask;
        var whitened = centred / ((centred * centred).sum() / (count - 1)).sqrt().add(1e-8);      // [b, R]

        policyOptimizer.zero_grad();
        valueOptimizer.zero_grad();
        for (long start = 0; start < rows; start += forwardBatch)
        {
            using var micro = NewDisposeScope();
            long size = Math.Min(forwardBatch, rows - start);
            var ids = batch.InputIds.narrow(0, start, size);
            var attention = batch.AttentionMask.narrow(0, start, size);
            var m = mask.narrow(0, start, size);
            var a = whitened.narrow(0, start, size);
            var hidden = policy.Hidden(ids, attention).narrow(1, promptLength - 1, responseLength);   // [f, R, H]
            var logits = policy.Logits(hidden) / temperature;                                           // [f, R, V]
            var logProbs = logits.log_softmax(-1).gather(-1, batch.ResponseIds.narrow(0, start, size).unsqueeze(-1)).squeeze(-1);
            var ratio = (logProbs - batch.OldLogProbs.narrow(0, start, size)).exp();
            var surrogate = max(-a * ratio, -a * ratio.clamp(0.8, 1.2));
            ((surrogate * m).sum() / count).backward();
            var values = value.Scores(value.Hidden(ids, attention)).narrow(1, promptLength - 1, responseLength); // [f, R]
            var oldValues = batch.OldValues.narrow(0, start, size);
            var clipped = oldValues + (values - oldValues).clamp(-0.2, 0.2);
            var target = returns.narrow(0, start, size);
            var valueLoss = max((values - target) * (values - target), (clipped - target) * (clipped - target)) * 0.5;
            ((valueLoss * m).sum() / count * 0.1).backward();
        }
        nn.utils.clip_grad_norm_(policy.parameters(), 1.0);
        nn.utils.clip_grad_norm_(value.parameters(), 1.0);
        policyOptimizer.step();
        valueOptimizer.step();
    }

    static void Step(nn.Module model, optim.Optimizer optimizer, Tensor loss)
    {
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
        optimizer.step();
    }
}
