using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.LogProbs;
using PrefLab.Models.Lora;
using PrefLab.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Kto;

/// <summary>
/// KTO as an <see cref="ITrainingObjective"/>: each micro-batch's own sequences and KL sequences go through the
/// policy in one concatenated forward pass ([2n, T], <see cref="PairLogProbs"/>), meet the reference's log-probs
/// (<see cref="IReferenceModel"/>: precomputed, or live with <c>--ref-cache off</c>) in
/// <see cref="KtoLosses.Compute"/>, and the weighted per-example losses are summed (the loop divides by the
/// step's example count, so the step's loss is TRL's mean over examples). z0 is estimated per micro-batch, as TRL
/// does per device batch. The KL rows get no gradient (z0 is detached); TRL runs them without autograd in a
/// second forward, here they share the policy's forward so that at the first step they equal the reference's
/// values bit for bit. Every computation runs in its own dispose scope (the loop's per micro-batch, and one per
/// held-out batch).
/// </summary>
public sealed class KtoObjective : ITrainingObjective, IStepMetrics
{
    readonly CausalLM policy;
    readonly KtoSettings settings;
    readonly IReadOnlyList<KtoExample> train;
    readonly IReadOnlyList<KtoExample> eval;
    readonly IReferenceModel reference;
    readonly int padId;
    readonly Action<string> save;
    readonly LogitChunking chunking;

    /// <param name="evalLayout">The batches held-out data is evaluated in (the reference pass must use the same).</param>
    /// <param name="save">Writes the policy (and its tokenizer files) into a folder.</param>
    public KtoObjective(CausalLM policy, KtoSettings settings, IReadOnlyList<KtoExample> train, IReadOnlyList<KtoExample> eval,
        IReferenceModel reference, int padId, PairLayout evalLayout, Action<string> save, LogitChunking? chunking = null)
    {
        this.policy = policy; this.settings = settings; this.train = train; this.eval = eval; this.reference = reference;
        this.padId = padId; EvalLayout = evalLayout; this.save = save;
        this.chunking = chunking ?? LogitChunking.Auto;
    }

    public PairLayout EvalLayout { get; }
    public int Count => train.Count;
    public Func<int, int>? Length => i => train[i].Length;
    /// <summary>The LoRA adapters being trained (the base frozen), or null for full fine-tuning.</summary>
    public LoraAdapters? Adapters { get; init; }

    public IEnumerable<Parameter> Parameters => Adapters?.Parameters ?? policy.parameters();

    /// <summary>Per-example losses: a micro-batch weighs its example count.</summary>
    public double Weight(IReadOnlyList<int> examples) => examples.Count;

    public MicroBatchResult Compute(IReadOnlyList<int> examples)
    {
        var (output, sums, tokens) = Forward(DpoSplit.Train, examples, train);
        return new MicroBatchResult(output.Losses.sum(), sums, tokens);
    }

    public IReadOnlyDictionary<string, double> StepMetrics(IReadOnlyDictionary<string, (double Sum, double Weight)> sums) => KtoMetrics.Means(sums);

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        if (eval.Count == 0) return new Dictionary<string, double>();
        var sums = new Dictionary<string, (double Sum, double Weight)>();
        foreach (var batch in EvalLayout.Batches)
        {
            using var scope = NewDisposeScope();
            var (output, batchSums, _) = Forward(DpoSplit.Eval, batch, eval);
            batchSums[KtoMetrics.Loss] = (output.Losses.detach().to_type(ScalarType.Float64).sum().item<double>(), batch.Length);
            KtoMetrics.Accumulate(sums, batchSums);
        }
        return KtoMetrics.Means(sums, "eval/");
    }

    (KtoLossOutput Output, Dictionary<string, (double Sum, double Weight)> Sums, long Tokens) Forward(
        DpoSplit split, IReadOnlyList<int> examples, IReadOnlyList<KtoExample> data)
    {
        var batch = Collator.PadPairs(examples.Select(i => data[i].Sequences).ToList(), padId);     // [2n, T]
        var logps = PairLogProbs.Of(policy, batch, chunking);                                         // [n] each
        var (referenceLogps, referenceKl) = reference.LogProbs(split, examples, batch);
        var desirable = tensor(examples.Select(i => data[i].Desirable).ToArray());
        var output = KtoLosses.Compute(new KtoInputs(logps.Chosen, referenceLogps, logps.Rejected, referenceKl, desirable), settings);
        return (output, KtoMetrics.Sums(output, logps.Chosen), batch.Tokens);
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
