using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>What an update produced: its metrics and, per sample, what the rollout log records.</summary>
public sealed record UpdateOutcome(Dictionary<string, double> Metrics, IReadOnlyList<SampleRecord> Samples);

/// <summary>
/// An online RL algorithm on the shared loop (<see cref="OnlineTrainer"/>): it owns the policy's optimizer and
/// learning-rate schedule (and any model of its own, such as PPO's value model), turns a scored rollout into
/// advantages and runs the passes of minibatch updates. The loop does everything else: prompts, sampling,
/// scoring, old/reference log-probs, logging, checkpoints and resume.
/// </summary>
public abstract class OnlineObjective : IDisposable
{
    /// <summary>Response tokens in the given rows of <paramref name="mask"/> [rows, seq]: a micro-batch's share of its
    /// minibatch's token-level mean.</summary>
    protected static double Tokens(Tensor mask, int[] rows)
    {
        using var scope = NewDisposeScope();
        return mask.index_select(0, tensor(rows.Select(r => (long)r).ToArray())).sum().item<long>();
    }

    protected OnlineObjective(OnlineRlSession session, OnlineRlOptions options)
    {
        Session = session;
        Options = options;
        PolicyParameters = OptimizerFactory.Distinct(session.Adapters?.Parameters ?? session.Policy.parameters()).Where(p => p.requires_grad).ToList();
        PolicyOptimizer = OptimizerFactory.AdamW(PolicyParameters, options.Training);
    }

    protected OnlineRlSession Session { get; }
    protected OnlineRlOptions Options { get; }
    protected IReadOnlyList<Parameter> PolicyParameters { get; }
    protected optim.Optimizer PolicyOptimizer { get; }
    protected LrSchedule PolicySchedule { get; private set; } = null!;

    /// <summary>The command name (run.json, progress).</summary>
    public abstract string Command { get; }
    /// <summary>True when the algorithm runs data-parallel under mpirun (every rank a share of each rollout's generation,
    /// scoring, forwards and minibatch micro-batches; see <see cref="RolloutShards"/>).</summary>
    public virtual bool RunsDataParallel => false;

    /// <summary>Samples drawn per prompt (1 for PPO, k for RLOO/GRPO).</summary>
    public abstract int SamplesPerPrompt { get; }

    /// <summary>Every optimizer by the name its checkpoint file carries.</summary>
    public virtual IReadOnlyDictionary<string, optim.Optimizer> Optimizers =>
        new Dictionary<string, optim.Optimizer> { ["policy"] = PolicyOptimizer };

    /// <summary>Called once the run's length is known.</summary>
    public virtual void Start(long totalSteps) =>
        PolicySchedule = LrSchedule.FromRatio(Options.Training.Schedule, Options.Training.Lr, totalSteps, Options.Training.WarmupRatio, Options.Training.MinLrRatio);

    /// <summary>Computes what the algorithm needs from the rollout before any update (PPO: old values), over the
    /// first pass's micro-batches.</summary>
    public virtual void Prepare(Rollout rollout, MinibatchPlan firstPass) { }

    /// <summary>Runs update <paramref name="step"/> (0-based): advantages, then the passes of minibatch steps.</summary>
    public abstract UpdateOutcome Train(Rollout rollout, long step, MinibatchPlan firstPass);

    /// <summary>Writes the trained models into a folder (the policy at its root).</summary>
    public virtual void SaveModels(string folder) => Session.SavePolicy(folder);

    /// <summary>Reloads the models saved by <see cref="SaveModels"/> (resume).</summary>
    public virtual void LoadModels(string folder)
    {
        if (Session.Adapters is not null) Session.Adapters.ReloadWeights(folder); else Session.Policy.ReloadWeights(folder);
    }

    /// <summary>What a checkpoint holds of the models: <see cref="SaveModels"/>'s, except that a LoRA policy is only
    /// its adapter (the base never changes).</summary>
    public virtual void SaveCheckpointModels(string folder)
    {
        if (Session.Adapters is not null) Session.Adapters.Save(folder); else Session.SavePolicy(folder);
    }

    /// <summary>State beyond models and optimizers (e.g. the adaptive KL coefficient), as exact strings.</summary>
    public virtual IReadOnlyDictionary<string, string> State() => new Dictionary<string, string>();
    public virtual void Restore(IReadOnlyDictionary<string, string> state) { }

    /// <summary>For run.json: the algorithm and its settings.</summary>
    public abstract JsonObject Describe();

    /// <summary>The plan of pass <paramref name="epoch"/> of update <paramref name="step"/> (pass 0 is the one the
    /// loop computed the old log-probs over).</summary>
    protected MinibatchPlan Plan(long step, int epoch, int rows, MinibatchPlan firstPass) =>
        epoch == 0 ? firstPass : MinibatchPlan.Create(Options.Training.Seed, step, epoch, rows, Options.NumMinibatches, Options.ForwardBatchSize);

    /// <summary>Clips the gradients of <paramref name="parameters"/> to the global norm and steps; a non-finite
    /// norm stops the run before it corrupts the model. Returns the norm before clipping.</summary>
    protected double ClipAndStep(optim.Optimizer optimizer, IReadOnlyList<Parameter> parameters, string what, long step)
    {
        // Under mpirun each rank holds its micro-batches' share of the minibatch gradient: summed, it is one process's.
        Training.DataParallel.AllreduceGradients(Runtime.Distributed.ProcessGroup.Current, parameters);
        double norm = nn.utils.clip_grad_norm_(parameters, Options.Training.ClipNorm > 0 ? Options.Training.ClipNorm : double.PositiveInfinity);
        if (!double.IsFinite(norm))
            throw new UserError($"update {step + 1}: the {what} gradient norm is {norm} (not finite); stopping before it corrupts the model. Try a lower learning rate.");
        optimizer.step();
        return norm;
    }

    protected static void RequireFinite(double value, string what, long step)
    {
        if (!double.IsFinite(value))
            throw new UserError($"update {step + 1}: {what} is {value} (not finite); stopping before it corrupts the model. Try a lower learning rate.");
    }

    /// <summary>max |ρ - 1| over the selected tokens (ρ is exactly 1 at masked positions).</summary>
    protected static double MaxRatioDeviation(Tensor ratio)
    {
        using var scope = NewDisposeScope();
        return (ratio - 1.0).abs().max().to_type(ScalarType.Float64).item<double>();
    }

    protected static double[] ToDoubles(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    public virtual void Dispose()
    {
        PolicyOptimizer.Dispose();
        GC.SuppressFinalize(this);
    }
}
