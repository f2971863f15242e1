using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.RewardModeling;

/// <summary>
/// Reward-model training as an <see cref="ITrainingObjective"/>: each micro-batch's chosen and rejected
/// sequences go through the model in ONE forward pass (<see cref="Collator.PadPairs"/>: rows 0..n-1 chosen,
/// n..2n-1 rejected), each row's reward is read at its last real token (the EOS, found from the attention
/// mask, so padding side and pad id == EOS id do not matter), and the Bradley-Terry loss
/// -log σ(r_c - r_r - m) is summed over pairs; the loop divides by the step's pair count (<see cref="Weight"/>).
/// With margins on, m = <c>marginScale</c> × the pair's margin (0 for a pair without one).
/// Metrics (DESIGN.md): <c>accuracy</c> (ties 0.5), <c>margin</c> (mean r_c - r_r), <c>reward/chosen</c>,
/// <c>reward/rejected</c>; held-out the same names under <c>eval/</c> plus <c>eval/loss</c>.
/// </summary>
public sealed class RewardModelObjective : ITrainingObjective
{
    readonly ScalarHeadModel model;
    readonly IReadOnlyList<TokenizedPair> train;
    readonly IReadOnlyList<TokenizedPair> eval;
    readonly int padId;
    readonly int evalBatchSize;
    readonly double? marginScale;
    readonly Action<string> save;

    /// <param name="marginScale">Null: no margin term. Otherwise each pair's margin is multiplied by this.</param>
    /// <param name="save">Writes the model (and its tokenizer files) into a folder.</param>
    public RewardModelObjective(ScalarHeadModel model, IReadOnlyList<TokenizedPair> train, IReadOnlyList<TokenizedPair> eval,
        int padId, int evalBatchSize, double? marginScale, Action<string> save)
    {
        if (evalBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(evalBatchSize));
        this.model = model; this.train = train; this.eval = eval; this.padId = padId;
        this.evalBatchSize = evalBatchSize; this.marginScale = marginScale; this.save = save;
    }

    public int Count => train.Count;
    public Func<int, int>? Length => i => train[i].Length;
    public IEnumerable<Parameter> Parameters => model.parameters();

    /// <summary>Pairs: the loss is a per-pair mean over the whole optimizer step.</summary>
    public double Weight(IReadOnlyList<int> examples) => examples.Count;

    public MicroBatchResult Compute(IReadOnlyList<int> examples)
    {
        var pairs = examples.Select(i => train[i]).ToList();
        var (losses, chosen, rejected, tokens) = Forward(pairs);
        var metrics = BradleyTerry.Metrics(chosen, rejected);
        double n = metrics.Count;
        return new MicroBatchResult(losses.sum(), new Dictionary<string, (double, double)>
        {
            ["accuracy"] = (metrics.Accuracy * n, n),
            ["margin"] = (metrics.Margin * n, n),
            ["reward/chosen"] = (metrics.RewardChosen * n, n),
            ["reward/rejected"] = (metrics.RewardRejected * n, n),
        }, tokens);
    }

    /// <summary>
    /// One forward pass over a list of pairs: per-pair losses [n], chosen rewards [n], rejected rewards [n]
    /// (float32, with gradient) and the real tokens that went through the model.
    /// </summary>
    public (Tensor Losses, Tensor Chosen, Tensor Rejected, long Tokens) Forward(IReadOnlyList<TokenizedPair> pairs)
    {
        using var batch = Collator.PadPairs(pairs, padId);                  // [2n, T]
        var rewards = model.Scores(batch.InputIds, batch.AttentionMask);     // [2n]
        var (chosen, rejected) = Split(rewards, pairs.Count);
        var losses = BradleyTerry.Losses(chosen, rejected, Margins(pairs, marginScale));
        return (losses, chosen, rejected, batch.AttentionMask.sum().item<long>());
    }

    /// <summary>Rows 0..n-1 are the chosen rewards, n..2n-1 the rejected ones (the layout of <see cref="Collator.PadPairs"/>).</summary>
    public static (Tensor Chosen, Tensor Rejected) Split(Tensor rewards, int pairs)
    {
        if (rewards.shape.Length != 1 || rewards.shape[0] != 2L * pairs)
            throw new ArgumentException($"expected [{2 * pairs}] rewards for {pairs} pairs, got [{string.Join(", ", rewards.shape)}]", nameof(rewards));
        return (rewards.narrow(0, 0, pairs), rewards.narrow(0, pairs, pairs));
    }

    /// <summary>The margin term m per pair ([n] float32), or null without margins.</summary>
    public static Tensor? Margins(IReadOnlyList<TokenizedPair> pairs, double? scale) =>
        scale is double s ? tensor(pairs.Select(p => (float)(s * (p.Margin ?? 0.0))).ToArray()) : null;

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        if (eval.Count == 0) return new Dictionary<string, double>();
        double loss = 0, accuracy = 0, margin = 0, chosenSum = 0, rejectedSum = 0;
        for (int start = 0; start < eval.Count; start += evalBatchSize)
        {
            using var scope = NewDisposeScope();
            var pairs = eval.Skip(start).Take(evalBatchSize).ToList();
            var (losses, chosen, rejected, _) = Forward(pairs);
            var metrics = BradleyTerry.Metrics(chosen, rejected);
            loss += losses.to_type(ScalarType.Float64).sum().item<double>();
            accuracy += metrics.Accuracy * metrics.Count;
            margin += metrics.Margin * metrics.Count;
            chosenSum += metrics.RewardChosen * metrics.Count;
            rejectedSum += metrics.RewardRejected * metrics.Count;
        }
        double count = eval.Count;
        return new Dictionary<string, double>
        {
            ["eval/loss"] = loss / count,
            ["eval/accuracy"] = accuracy / count,
            ["eval/margin"] = margin / count,
            ["eval/reward/chosen"] = chosenSum / count,
            ["eval/reward/rejected"] = rejectedSum / count,
        };
    }

    public void SaveModel(string folder) => save(folder);

    public void LoadModel(string folder) => model.ReloadWeights(folder);
}
