using PrefLab.Algorithms.RewardModeling;
using PrefLab.Data.Collation;
using PrefLab.Models;
using Xunit;
using static PrefLab.Tests.RewardModels.RmTestKit;
using static TorchSharp.torch;

namespace PrefLab.Tests.RewardModels;

public class RewardObjectiveTests
{
    static RewardModelObjective Objective(ScalarHeadModel model, List<TokenizedPair> pairs, double? marginScale, int padId = Pad) =>
        new(model, pairs, [], padId, evalBatchSize: 2, marginScale, _ => { });

    /// <summary>Hand reference in float64: each sequence scored alone (no padding) at its last token, then
    /// loss_i = log(1 + exp(-(r_c - r_r - m_i))) and d loss / d w = sum_i (sigmoid(d_i) - 1) (h_c - h_r).</summary>
    static (double Loss, double[] Gradient, double Accuracy) Reference(ScalarHeadModel model, IReadOnlyList<TokenizedPair> pairs, double? scale, bool swap = false)
    {
        double loss = 0, correct = 0;
        double[]? gradient = null;
        foreach (var pair in pairs)
        {
            var (c, hc) = Alone(model, swap ? pair.Rejected : pair.Chosen);
            var (r, hr) = Alone(model, swap ? pair.Chosen : pair.Rejected);
            double m = scale is double s ? s * (pair.Margin ?? 0) : 0;
            double d = c - r - m;
            loss += LogOnePlusExp(-d);
            double coefficient = 1 / (1 + Math.Exp(-d)) - 1;
            gradient ??= new double[hc.Length];
            for (int k = 0; k < hc.Length; k++) gradient[k] += coefficient * (hc[k] - hr[k]);
            correct += c > r ? 1 : c == r ? 0.5 : 0;
        }
        return (loss, gradient!, correct / pairs.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(2.0)]
    public void Loss_and_score_head_gradient_match_the_hand_computed_reference(double? marginScale)
    {
        using var dir = new TempDir();
        using var model = ScalarHeadModel.FromCausalLM(CausalFolder(dir.File("lm")), seed: 4);
        // A head large enough that the rewards of the pairs differ clearly.
        using (no_grad()) model.ScoreWeight.mul_(40);
        var pairs = Pairs();
        var objective = Objective(model, pairs, marginScale);
        var all = new[] { 0, 1, 2 };
        Assert.Equal(3.0, objective.Weight(all));
        Assert.Equal(2.0, objective.Weight(new[] { 0, 2 }));

        model.zero_grad();
        var result = objective.Compute(all);
        result.LossSum.backward();
        var expected = Reference(model, pairs, marginScale);
        Assert.Equal(expected.Loss, result.LossSum.item<float>(), 1e-5 * Math.Max(1, Math.Abs(expected.Loss)));
        var gradient = model.ScoreWeight.grad!.to_type(ScalarType.Float64).data<double>().ToArray();
        double scale = Math.Max(1, expected.Gradient.Max(Math.Abs));
        for (int k = 0; k < gradient.Length; k++) Assert.Equal(expected.Gradient[k], gradient[k], 1e-5 * scale);
        Assert.Equal(expected.Accuracy, result.MetricSums["accuracy"].Sum / result.MetricSums["accuracy"].Weight, 1e-9);
        Assert.Equal(3.0, result.MetricSums["margin"].Weight);
        Assert.Equal(pairs.Sum(p => p.Chosen.Length + p.Rejected.Length), result.Tokens);

        // The reference can tell chosen from rejected: with the two swapped it gives another loss.
        Assert.True(Math.Abs(Reference(model, pairs, marginScale, swap: true).Loss - expected.Loss) > 1e-2);
        // The margin term matters (a pair without a margin counts 0): with and without it the losses differ.
        if (marginScale is not null) Assert.True(Math.Abs(Reference(model, pairs, null).Loss - expected.Loss) > 1e-2);
    }

    [Fact]
    public void The_padded_batch_gives_every_parameter_the_gradient_of_the_pairs_scored_one_by_one()
    {
        using var dir = new TempDir();
        using var model = ScalarHeadModel.FromCausalLM(CausalFolder(dir.File("lm")), seed: 5);
        var pairs = Pairs();
        model.zero_grad();
        Objective(model, pairs, 1.0).Compute([0, 1, 2]).LossSum.backward();
        var batched = model.parameters().Select(p => p.grad!.clone()).ToList();

        // One pair at a time, each side alone without padding or mask.
        model.zero_grad();
        foreach (var pair in pairs)
        {
            using var scope = NewDisposeScope();
            var c = model.Scores(tensor(pair.Chosen.Ids.Select(i => (long)i).ToArray()).unsqueeze(0));
            var r = model.Scores(tensor(pair.Rejected.Ids.Select(i => (long)i).ToArray()).unsqueeze(0));
            BradleyTerry.Losses(c, r, tensor(new[] { (float)(pair.Margin ?? 0) })).sum().backward();
        }
        var single = model.parameters().Select(p => p.grad!.clone()).ToList();
        for (int k = 0; k < batched.Count; k++)
            Assert.True(batched[k].allclose(single[k], rtol: 1e-4, atol: 1e-6), $"parameter {k} gradient differs");
    }

    [Fact]
    public void Chosen_rows_come_first_then_rejected_rows()
    {
        using var rewards = tensor(new float[] { 1, 2, 3, 10, 20, 30 });
        var (chosen, rejected) = RewardModelObjective.Split(rewards, 3);
        Assert.Equal(new float[] { 1, 2, 3 }, chosen.data<float>().ToArray());
        Assert.Equal(new float[] { 10, 20, 30 }, rejected.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => RewardModelObjective.Split(rewards, 2));
        using var margins = RewardModelObjective.Margins(Pairs(), 2.0)!;
        Assert.Equal(new float[] { 3, 0, -1 }, margins.data<float>().ToArray());
        Assert.Null(RewardModelObjective.Margins(Pairs(), null));
    }

    [Fact]
    public void Held_out_metrics_are_the_pair_means_over_every_eval_batch()
    {
        using var dir = new TempDir();
        using var model = ScalarHeadModel.FromCausalLM(CausalFolder(dir.File("lm")), seed: 6);
        using (no_grad()) model.ScoreWeight.mul_(40);
        var pairs = Pairs();
        var objective = new RewardModelObjective(model, pairs, pairs, Pad, evalBatchSize: 2, null, _ => { });
        var metrics = objective.Evaluate();
        var expected = Reference(model, pairs, null);
        Assert.Equal(expected.Loss / 3, metrics["eval/loss"], 1e-4);
        Assert.Equal(expected.Accuracy, metrics["eval/accuracy"], 1e-9);
        double chosen = pairs.Average(p => Alone(model, p.Chosen).Reward), rejected = pairs.Average(p => Alone(model, p.Rejected).Reward);
        Assert.Equal(chosen, metrics["eval/reward/chosen"], 1e-4);
        Assert.Equal(rejected, metrics["eval/reward/rejected"], 1e-4);
        Assert.Equal(chosen - rejected, metrics["eval/margin"], 1e-4);
    }
}
