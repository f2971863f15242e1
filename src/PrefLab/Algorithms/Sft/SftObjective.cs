using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.Lora;
using PrefLab.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Sft;

/// <summary>
/// Pretraining and SFT as an <see cref="ITrainingObjective"/>: next-token loss on the sequences' loss-mask
/// tokens (every token of a pretraining block; assistant tokens in SFT), normalised by the target tokens of
/// the whole optimizer step. Packed rows (<see cref="SequencePacker"/>) go in with their segment ids, so each
/// example's loss is what it would be alone. Metrics: <c>mean_token_accuracy</c>; held-out <c>eval/loss</c> and
/// <c>eval/mean_token_accuracy</c>.
/// </summary>
public sealed class SftObjective : ITrainingObjective
{
    readonly CausalLM model;
    readonly IReadOnlyList<TokenizedSequence> train;
    readonly IReadOnlyList<TokenizedSequence> eval;
    readonly int padId;
    readonly int evalBatchSize;
    readonly Action<string> save;

    /// <param name="save">Writes the model (and its tokenizer files) into a folder.</param>
    public SftObjective(CausalLM model, IReadOnlyList<TokenizedSequence> train, IReadOnlyList<TokenizedSequence> eval,
        int padId, int evalBatchSize, Action<string> save)
    {
        this.model = model; this.train = train; this.eval = eval; this.padId = padId; this.evalBatchSize = evalBatchSize; this.save = save;
    }

    public int Count => train.Count;
    public Func<int, int>? Length => i => train[i].Length;
    /// <summary>The LoRA adapters being trained (the base frozen), or null for full fine-tuning.</summary>
    public LoraAdapters? Adapters { get; init; }

    public IEnumerable<Parameter> Parameters => Adapters?.Parameters ?? model.parameters();

    public double Weight(IReadOnlyList<int> examples) => examples.Sum(i => LanguageModelingLoss.Targets(train[i].LossMask));

    public MicroBatchResult Compute(IReadOnlyList<int> examples)
    {
        var batch = Collator.Pad(examples.Select(i => train[i]).ToList(), padId);
        var logits = model.forward(batch.InputIds, batch.ModelMask);               // [B, T, V]
        var (nll, correct, count) = LanguageModelingLoss.Sum(logits, batch.InputIds, batch.LossMask);
        double targets = count.item<long>();
        return new MicroBatchResult(nll,
            new Dictionary<string, (double, double)> { ["mean_token_accuracy"] = (correct.item<long>(), targets) },
            batch.AttentionMask.sum().item<long>());
    }

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        if (eval.Count == 0) return new Dictionary<string, double>();
        double nll = 0, correct = 0, targets = 0;
        for (int start = 0; start < eval.Count; start += evalBatchSize)
        {
            using var scope = NewDisposeScope();
            var batch = Collator.Pad(eval.Skip(start).Take(evalBatchSize).ToList(), padId);
            var logits = model.forward(batch.InputIds, batch.ModelMask);
            var (sum, right, count) = LanguageModelingLoss.Sum(logits, batch.InputIds, batch.LossMask);
            nll += sum.to_type(ScalarType.Float64).item<double>();
            correct += right.item<long>();
            targets += count.item<long>();
        }
        return new Dictionary<string, double>
        {
            ["eval/loss"] = targets > 0 ? nll / targets : 0,
            ["eval/mean_token_accuracy"] = targets > 0 ? correct / targets : 0,
        };
    }

    public void SaveModel(string folder) => save(folder);

    public void SaveCheckpointModel(string folder)
    {
        if (Adapters is not null) Adapters.Save(folder); else save(folder);
    }

    public void LoadModel(string folder)
    {
        if (Adapters is not null) Adapters.ReloadWeights(folder); else model.ReloadWeights(folder);
    }
}
