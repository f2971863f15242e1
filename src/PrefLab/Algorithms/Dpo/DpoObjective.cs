using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Lora;
using PrefLab.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo;

/// <summary>
/// The DPO family as an <see cref="ITrainingObjective"/>: each micro-batch's chosen and rejected completions go
/// through the policy in one concatenated forward pass ([2n, T]), their summed log-probs meet the reference's
/// (<see cref="IReferenceModel"/>: precomputed or live) in <see cref="DpoLosses.Compute(DpoInputs, DpoSettings)"/>,
/// and the per-pair losses are summed (the loop divides by the step's pair count). Metrics are TRL's
/// (<see cref="DpoBatchMetrics"/>); held-out data gives the same under <c>eval/</c>.
/// </summary>
public sealed class DpoObjective : ITrainingObjective
{
    readonly CausalLM policy;
    readonly DpoSettings settings;
    readonly IReadOnlyList<TokenizedPair> train;
    readonly IReadOnlyList<TokenizedPair> eval;
    readonly IReferenceModel? reference;
    readonly int padId;
    readonly Action<string> save;
    readonly LogitChunking chunking;

    /// <param name="reference">Null only for reference-free losses (simpo).</param>
    /// <param name="evalLayout">The batches held-out data is evaluated in (the reference pass must use the same).</param>
    /// <param name="save">Writes the policy (and its tokenizer files) into a folder.</param>
    /// <param name="chunking">How the policy's log-probs reach the vocabulary (default <see cref="LogitChunking.Auto"/>).</param>
    public DpoObjective(CausalLM policy, DpoSettings settings, IReadOnlyList<TokenizedPair> train, IReadOnlyList<TokenizedPair> eval,
        IReferenceModel? reference, int padId, PairLayout evalLayout, Action<string> save, LogitChunking? chunking = null)
    {
        this.chunking = chunking ?? LogitChunking.Auto;
        if (reference is null && DpoLossTypes.UsesReference(settings.Loss))
            throw new ArgumentException($"--loss {DpoLossTypes.Name(settings.Loss)} needs a reference", nameof(reference));
        this.policy = policy; this.settings = settings; this.train = train; this.eval = eval; this.reference = reference;
        this.padId = padId; EvalLayout = evalLayout; this.save = save;
    }

    public PairLayout EvalLayout { get; }
    public int Count => train.Count;
    public Func<int, int>? Length => i => train[i].Length;
    /// <summary>The LoRA adapters being trained (the base frozen), or null for full fine-tuning.</summary>
    public LoraAdapters? Adapters { get; init; }

    public IEnumerable<Parameter> Parameters => Adapters?.Parameters ?? policy.parameters();

    /// <summary>Per-pair losses: a micro-batch weighs its pair count.</summary>
    public double Weight(IReadOnlyList<int> examples) => examples.Count;

    public MicroBatchResult Compute(IReadOnlyList<int> examples)
    {
        var (losses, metrics, tokens) = Forward(DpoSplit.Train, examples, train);
        var sums = new Dictionary<string, (double, double)>();
        foreach (var (name, value) in metrics.Named())
            if (name != "loss") sums[name] = (value * metrics.Count, metrics.Count);
        return new MicroBatchResult(losses.sum(), sums, tokens);
    }

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        if (eval.Count == 0) return new Dictionary<string, double>();
        var sums = new Dictionary<string, double>();
        long count = 0;
        foreach (var batch in EvalLayout.Batches)
        {
            using var scope = NewDisposeScope();
            var (_, metrics, _) = Forward(DpoSplit.Eval, batch, eval);
            foreach (var (name, value) in metrics.Named())
                sums["eval/" + name] = sums.GetValueOrDefault("eval/" + name) + value * metrics.Count;
            count += metrics.Count;
        }
        return sums.ToDictionary(p => p.Key, p => p.Value / count);
    }

    (Tensor Losses, DpoBatchMetrics Metrics, long Tokens) Forward(DpoSplit split, IReadOnlyList<int> examples, IReadOnlyList<TokenizedPair> pairs)
    {
        var batch = Collator.PadPairs(examples.Select(i => pairs[i]).ToList(), padId);          // [2n, T]
        var logps = PairLogProbs.Of(policy, batch, chunking);                                             // [n] each
        Tensor? referenceChosen = null, referenceRejected = null;
        if (reference is not null && DpoLossTypes.UsesReference(settings.Loss))
            (referenceChosen, referenceRejected) = reference.LogProbs(split, examples, batch);
        var output = DpoLosses.Compute(new DpoInputs(logps.Chosen, logps.Rejected, referenceChosen, referenceRejected,
            logps.ChosenLengths, logps.RejectedLengths), settings);
        return (output.Losses, DpoBatchMetrics.Compute(output, logps.Chosen, logps.Rejected), batch.Tokens);
    }

    public void SaveModel(string folder) => save(folder);

    public void SaveCheckpointModel(string folder)
    {
        if (Adapters is not null) Adapters.Save(folder); else save(folder);
    }

    public void LoadModel(string folder)
    {
        if (Adapters is not null) Adapters.ReloadWeights(folder); else policy.ReloadWeights(folder);
    }
}
