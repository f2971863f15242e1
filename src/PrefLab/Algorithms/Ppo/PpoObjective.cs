using System.Globalization;
using System.Text.Json.Nodes;
using PrefLab.Algorithms.Common;
using PrefLab.Algorithms.Kl;
using PrefLab.Algorithms.OnlineRl;
using PrefLab.Models;
using PrefLab.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Ppo;

/// <summary>
/// PPO with a value model (the paper's recipe; Ziegler et al. 2019, Ouyang et al. 2022, TRL's PPOTrainer):
/// per-token rewards r_t = -β kl_t plus the score (or the missing-EOS penalty) at the last response token;
/// GAE on the rollout's old values; advantages whitened over the batch; then <c>--ppo-epochs</c> passes of
/// <c>--num-minibatches</c> minibatch steps, each step the clipped policy loss on the policy's optimizer and
/// 0.1 × the clipped value loss on the value model's own optimizer. Ratios are against the old log-probs stored
/// from the rollout (the behaviour policy), never the reference. β (adaptive with <c>--target-kl</c>) is updated
/// once per rollout, after its training, from the rollout's mean sequence KL.
/// </summary>
public sealed class PpoObjective : OnlineObjective
{
    public const string ValueFolder = "value";

    readonly PpoJobOptions options;
    readonly ScalarHeadModel value;
    readonly IReadOnlyList<Parameter> valueParameters;
    readonly optim.Optimizer valueOptimizer;
    readonly string valueTokenizerFolder;
    readonly JsonObject valueOrigin;
    LrSchedule valueSchedule = null!;
    IKlController kl;
    Tensor oldValues = null!;

    /// <param name="value">The value model (owned from here on).</param>
    /// <param name="valueOrigin">For run.json: where the value model came from and why.</param>
    public PpoObjective(OnlineRlSession session, PpoJobOptions options, ScalarHeadModel value, JsonObject valueOrigin) : base(session, options)
    {
        this.options = options;
        this.value = value;
        this.valueOrigin = valueOrigin;
        valueTokenizerFolder = options.Policy;
        valueParameters = OptimizerFactory.Distinct(value.parameters()).Where(p => p.requires_grad).ToList();
        valueOptimizer = OptimizerFactory.AdamW(valueParameters, options.Training with { Lr = options.EffectiveValueLr });
        kl = options.NewKlController();
    }

    public override string Command => "ppo";
    public override int SamplesPerPrompt => 1;
    public override bool RunsDataParallel => true;
    public ScalarHeadModel Value => value;
    /// <summary>The current β.</summary>
    public double KlCoefficient => kl.Value;

    public override IReadOnlyDictionary<string, optim.Optimizer> Optimizers =>
        new Dictionary<string, optim.Optimizer> { ["policy"] = PolicyOptimizer, ["value"] = valueOptimizer };

    public override void Start(long totalSteps)
    {
        base.Start(totalSteps);
        valueSchedule = LrSchedule.FromRatio(options.Training.Schedule, options.EffectiveValueLr, totalSteps, options.Training.WarmupRatio, options.Training.MinLrRatio);
    }

    public override void Prepare(Rollout rollout, MinibatchPlan firstPass)
    {
        // Old values over the same micro-batches the first minibatch will use: val/clipfrac is 0 there too.
        oldValues = zeros(rollout.Rows, rollout.Batch.ResponseLength, dtype: ScalarType.Float32);    // [B, R]
        using var noGrad = no_grad();
        foreach (var micro in RolloutShards.Mine(firstPass.MicroBatches))
        {
            using var scope = NewDisposeScope();
            var slice = rollout.Slice(micro);
            var values = PolicyForward.ResponseValues(value, slice.InputIds, slice.AttentionMask, slice.ResponseMask);
            oldValues.index_copy_(0, slice.Index, values.to_type(ScalarType.Float32));
        }
        RolloutShards.Sum(oldValues);
    }

    public override UpdateOutcome Train(Rollout rollout, long step, MinibatchPlan firstPass)
    {
        double lr = PolicySchedule.At(step), valueLr = valueSchedule.At(step);
        OptimizerFactory.SetLearningRate(PolicyOptimizer, lr);
        OptimizerFactory.SetLearningRate(valueOptimizer, valueLr);
        var batch = rollout.Batch;
        var mask = batch.ResponseMask;                                                          // [B, R] bool
        double beta = kl.Value;
        // Without a penalty every response keeps its score: shaping then sees every row as ended.
        var ended = options.MissingEosPenalty is null ? ones_like(batch.HasEos) : batch.HasEos;
        var shaped = RewardShaping.Shape(rollout.Scores, rollout.OldLogProbs, rollout.RefLogProbs, mask, ended, beta,
            options.KlEstimator, options.MissingEosPenalty ?? 0.0);
        options.OnRewards?.Invoke(rollout, shaped);
        var gae = PpoAdvantages.Compute(shaped.Rewards, oldValues, mask, options.Gamma, options.Lambda, options.WhitenRewards);
        var rolloutMetrics = RolloutMetrics.Compute(shaped, rollout.OldLogProbs, mask, batch.HasEos);

        var sums = new MetricSums();
        for (int epoch = 0; epoch < options.PpoEpochs; epoch++)
        {
            var plan = Plan(step, epoch, rollout.Rows, firstPass);
            for (int m = 0; m < plan.Minibatches.Count; m++)
                sums.Add(Minibatch(rollout, gae, plan.Minibatches[m], step, epoch, m));
        }
        kl.Update(rolloutMetrics.Kl, rollout.Rows);

        var metrics = new Dictionary<string, double>(rolloutMetrics.Named());
        metrics["objective/kl_coef"] = beta;
        metrics["policy/clipfrac"] = sums.Mean("policy/clipfrac");
        metrics["policy/approxkl"] = sums.Mean("policy/approxkl");
        metrics["loss/policy"] = sums.Mean("loss/policy");
        metrics["loss/value"] = sums.Mean("loss/value");
        metrics["val/clipfrac"] = sums.Mean("val/clipfrac");
        metrics["val/mean"] = Masked.Mean(oldValues, mask).item<float>();
        metrics["lr"] = lr;
        metrics["value/lr"] = valueLr;
        metrics["grad_norm"] = sums.Mean("grad_norm");
        metrics["value/grad_norm"] = sums.Mean("value/grad_norm");

        var sequenceKl = ToDoubles(Masked.Sum(shaped.Kl, mask, -1));
        var rewards = ToDoubles(shaped.Scores);
        var scores = ToDoubles(rollout.Scores);
        var samples = Enumerable.Range(0, rollout.Rows).Select(i => new SampleRecord(scores[i], rewards[i], sequenceKl[i])).ToList();
        return new UpdateOutcome(metrics, samples);
    }

    Dictionary<string, double> Minibatch(Rollout rollout, GaeResult gae, IReadOnlyList<int[]> microBatches, long step, int epoch, int index)
    {
        OptimizerFactory.ClearGradients(PolicyParameters);
        OptimizerFactory.ClearGradients(valueParameters);
        var mask = rollout.Batch.ResponseMask;
        double minibatchTokens = microBatches.Sum(micro => Tokens(mask, micro));
        double policyLoss = 0, valueLoss = 0, clipFraction = 0, approxKl = 0, valueClip = 0, maxDeviation = 0;
        foreach (var micro in RolloutShards.Mine(microBatches))
        {
            using var scope = NewDisposeScope();
            var slice = rollout.Slice(micro);
            // Token-level means over the whole minibatch: each micro-batch weighs by its share of the tokens.
            double weight = Tokens(mask, micro) / Math.Max(minibatchTokens, 1);
            var newLogProbs = PolicyForward.ResponseLogProbs(Session.Policy, slice.InputIds, slice.AttentionMask, slice.ResponseIds,
                slice.ResponseMask, options.Temperature, options.LogitsChunk);
            var policy = PpoLosses.PolicyLoss(newLogProbs, slice.Of(rollout.OldLogProbs), slice.Of(gae.Advantages), slice.ResponseMask, options.ClipRange);
            policy.Loss.mul(weight).backward();
            var newValues = PolicyForward.ResponseValues(value, slice.InputIds, slice.AttentionMask, slice.ResponseMask);
            var valueResult = PpoLosses.ValueLoss(newValues, slice.Of(oldValues), slice.Of(gae.Returns), slice.ResponseMask, options.ClipRangeValue);
            valueResult.Loss.mul(options.VfCoef * weight).backward();

            policyLoss += policy.Loss.to_type(ScalarType.Float64).item<double>() * weight;
            valueLoss += valueResult.Loss.to_type(ScalarType.Float64).item<double>() * weight;
            clipFraction += policy.ClipFraction * weight;
            approxKl += policy.ApproxKl * weight;
            valueClip += valueResult.ClipFraction * weight;
            maxDeviation = Math.Max(maxDeviation, MaxRatioDeviation(policy.Ratio));
        }
        if (Runtime.Distributed.ProcessGroup.Current.IsDistributed)
        {
            var total = RolloutShards.Sum([policyLoss, valueLoss, clipFraction, approxKl, valueClip]);
            (policyLoss, valueLoss, clipFraction, approxKl, valueClip) = (total[0], total[1], total[2], total[3], total[4]);
            maxDeviation = RolloutShards.Max(maxDeviation);
        }
        RequireFinite(policyLoss, "the policy loss", step);
        RequireFinite(valueLoss, "the value loss", step);
        double gradNorm = ClipAndStep(PolicyOptimizer, PolicyParameters, "policy", step);
        double valueGradNorm = ClipAndStep(valueOptimizer, valueParameters, "value", step);
        OptimizerFactory.ClearGradients(PolicyParameters);
        OptimizerFactory.ClearGradients(valueParameters);
        options.OnMinibatch?.Invoke(new MinibatchReport(step + 1, epoch, index, microBatches.Sum(m => m.Length), clipFraction, approxKl,
            maxDeviation, valueClip));
        return new Dictionary<string, double>
        {
            ["loss/policy"] = policyLoss,
            ["loss/value"] = valueLoss,
            ["policy/clipfrac"] = clipFraction,
            ["policy/approxkl"] = approxKl,
            ["val/clipfrac"] = valueClip,
            ["grad_norm"] = gradNorm,
            ["value/grad_norm"] = valueGradNorm,
        };
    }

    public override void SaveModels(string folder)
    {
        base.SaveModels(folder);
        SaveValue(folder);
    }

    public override void SaveCheckpointModels(string folder)
    {
        base.SaveCheckpointModels(folder);
        SaveValue(folder);
    }

    void SaveValue(string folder)
    {
        string valueFolder = Path.Combine(folder, ValueFolder);
        Directory.CreateDirectory(valueFolder);
        value.Save(valueFolder, new ModelSaveOptions { PadTokenId = Session.Tokenizer.PadId });
        ModelFolder.CopyTokenizerFiles(valueTokenizerFolder, valueFolder);
    }

    public override void LoadModels(string folder)
    {
        base.LoadModels(folder);
        value.ReloadWeights(Path.Combine(folder, ValueFolder));
    }

    public override IReadOnlyDictionary<string, string> State() =>
        new Dictionary<string, string> { ["kl_coef"] = kl.Value.ToString("R", CultureInfo.InvariantCulture) };

    public override void Restore(IReadOnlyDictionary<string, string> state)
    {
        if (state.TryGetValue("kl_coef", out string? saved))
            kl = options.NewKlController(double.Parse(saved, CultureInfo.InvariantCulture));
    }

    public override JsonObject Describe() => new()
    {
        ["name"] = "ppo",
        ["kl_coef"] = options.KlCoef,
        ["kl_estimator"] = KlEstimators.Name(options.KlEstimator),
        ["kl_controller"] = options.TargetKl is double target
            ? new JsonObject { ["kind"] = "adaptive", ["target"] = target, ["horizon"] = options.KlHorizon }
            : new JsonObject { ["kind"] = "fixed" },
        ["missing_eos_penalty"] = options.MissingEosPenalty,
        ["gamma"] = options.Gamma,
        ["lambda"] = options.Lambda,
        ["whiten_rewards"] = options.WhitenRewards,
        ["whiten_advantages"] = true,
        ["cliprange"] = options.ClipRange,
        ["cliprange_value"] = options.ClipRangeValue,
        ["vf_coef"] = options.VfCoef,
        ["temperature"] = options.Temperature,
        ["lr"] = options.Training.Lr,
        ["value_lr"] = options.EffectiveValueLr,
        ["value_model"] = valueOrigin.DeepClone(),
        ["value_parameters"] = value.ParameterCount,
    };

    public override void Dispose()
    {
        valueOptimizer.Dispose();
        value.Dispose();
        base.Dispose();
    }
}
