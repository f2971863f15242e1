using PrefLab.Algorithms.Sft;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms.Sft;

public class LanguageModelingLossTests
{
    [Fact]
    public void Sum_of_next_token_nll_over_targets_only()
    {
        using var scope = NewDisposeScope();
        // One sequence of 3 tokens [0, 1, 1] over a vocabulary of 2; logits at t predict token t+1.
        // Position 0 logits (0, ln 3): p(token 1) = 3/4 -> nll ln(4/3). Position 1 logits (0, 0): p(1) = 1/2 -> ln 2.
        var logits = tensor(new double[] { 0, Math.Log(3), 0, 0, 5, 7 }, new long[] { 1, 3, 2 }).requires_grad_(true);
        var ids = tensor(new long[] { 0, 1, 1 }, new long[] { 1, 3 });
        var all = tensor(new float[] { 1, 1, 1 }, new long[] { 1, 3 });
        var (nll, correct, count) = LanguageModelingLoss.Sum(logits, ids, all);
        Assert.Equal(Math.Log(4.0 / 3) + Math.Log(2), nll.item<double>(), 12);
        Assert.Equal(2, count.item<long>());
        Assert.Equal(1, correct.item<long>()); // position 0 predicts 1 (right); position 1 is a tie, argmax picks 0 (wrong)

        // Masking the last token removes its term; the first token is never a target whatever its mask.
        var lastOut = tensor(new float[] { 1, 1, 0 }, new long[] { 1, 3 });
        var (partial, _, partialCount) = LanguageModelingLoss.Sum(logits, ids, lastOut);
        Assert.Equal(Math.Log(4.0 / 3), partial.item<double>(), 12);
        Assert.Equal(1, partialCount.item<long>());
        Assert.Equal(1, LanguageModelingLoss.Targets(new[] { true, true, false }));

        // Gradient of the first term w.r.t. the position-0 logits: softmax - onehot = (1/4, 3/4) - (0, 1).
        partial.backward();
        var grad = logits.grad!.data<double>().ToArray();
        Assert.Equal(0.25, grad[0], 12);
        Assert.Equal(-0.25, grad[1], 12);
        Assert.All(grad[2..], g => Assert.Equal(0, g));
    }
}
