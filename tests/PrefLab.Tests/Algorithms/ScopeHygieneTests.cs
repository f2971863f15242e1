using PrefLab.Algorithms.Common;
using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.GroupRl;
using PrefLab.Algorithms.Kto;
using PrefLab.Algorithms.Ppo;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Models.LogProbs;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

/// <summary>
/// Each function disposes its intermediates: the caller's dispose scope gains exactly the tensors returned, so a
/// training loop's live-tensor count stays flat (DESIGN: no native memory growth across steps).
/// </summary>
public class ScopeHygieneTests
{
    public ScopeHygieneTests() => Load();

    static void Gains(int expected, Func<object> call)
    {
        using var scope = NewDisposeScope();
        int before = scope.DisposablesCount;
        _ = call();
        Assert.Equal(expected, scope.DisposablesCount - before);
    }

    [Fact]
    public void Functions_leave_only_their_results_in_the_callers_scope()
    {
        using var inputs = NewDisposeScope();
        var a = Mat(ScalarType.Float32, new[,] { { -1.0, -0.5, -2.0 }, { -0.3, -1.5, 0.0 } });
        var b = Mat(ScalarType.Float32, new[,] { { -1.1, -0.4, -2.5 }, { -0.2, -1.0, 0.0 } });
        var mask = BoolMat(new[,] { { true, true, true }, { true, true, false } });
        var vector = Vec(ScalarType.Float32, 0.5, -1.0);
        var lengths = tensor(new long[] { 3, 2 });
        var logits = randn(2, 3, 5);
        var ids = Ids(new long[,] { { 1, 2, 3 }, { 4, 0, 0 } });
        var negated = vector.neg();
        var hasEos = tensor(new[] { true, false });
        var groupRewards = Vec(ScalarType.Float32, 1, 2, 3, 3);

        Gains(1, () => Masked.Mean(a, mask, -1));
        Gains(1, () => Masked.Whiten(a, mask));
        Gains(1, () => TokenLogProbs.Gather(logits, ids, mask, 0.7));
        Gains(1, () => TokenLogProbs.Entropy(logits, 0.7));
        Gains(1, () => BradleyTerry.Loss(vector, negated));
        Gains(3, () => DpoLosses.Ipo(vector, vector, negated, vector, lengths, lengths, 0.1));
        Gains(2, () => Gae.Compute(a, b, mask));
        Gains(2, () => Gae.ComputeLoop(a, b, mask));
        Gains(2, () => PpoAdvantages.Compute(a, b, mask));
        Gains(2, () => PpoLosses.PolicyLoss(a, b, a, mask));
        Gains(1, () => PpoLosses.ValueLoss(a, b, a, mask));
        Gains(5, () => RewardShaping.Shape(vector, a, b, mask, hasEos, 0.05));
        Gains(1, () => Grpo.Advantages(groupRewards, 2));
        Gains(2, () => GroupPolicyLoss.Compute(a, b, a, vector, mask));
        // KTO: losses, rewards and z0 (the labels are the caller's own tensor); the metrics leave nothing behind.
        Gains(3, () => KtoLosses.Compute(new KtoInputs(vector, negated, vector, negated, hasEos), new KtoSettings(0.1, 1, 1)));
        Gains(1, () => KtoLosses.ReferencePoint(vector, negated));
        var kto = KtoLosses.Compute(new KtoInputs(vector, negated, vector, negated, hasEos), new KtoSettings(0.1, 1, 1));
        Gains(0, () => KtoMetrics.Sums(kto, vector));
    }
}
