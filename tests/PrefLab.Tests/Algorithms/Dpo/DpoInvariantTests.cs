using PrefLab.Algorithms.Common;
using PrefLab.Algorithms.Dpo;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Models.LogProbs;
using PrefLab.Models;
using PrefLab.Text.Chat;
using PrefLab.Text;
using Xunit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms.Dpo;

/// <summary>What holds at the first step, where the policy is the reference, for each loss, through the job.</summary>
public class DpoInvariantTests
{
    static DpoJobOptions FirstStepOnly(TempDir dir, string name, DpoLossType loss, string cache) =>
        // 8 pairs, 4 a forward pass x 2 accumulated: the first step sees every pair once.
        DpoTestKit.Options(DpoTestKit.Model(dir.File("model"), seed: 11), DpoTestKit.Pairs(dir.File("pairs.jsonl"), 8), dir.File(name), cache,
            new DpoOptions { Loss = loss }) with { Training = new() { Lr = 1e-3, BatchSize = 4, GradAccum = 2, MaxSteps = 1, Seed = 3 } };

    [Theory]
    [InlineData(DpoLossType.Dpo, false)]
    [InlineData(DpoLossType.Dpo, true)]
    [InlineData(DpoLossType.Cdpo, false)]
    [InlineData(DpoLossType.DpoNorm, false)]
    [InlineData(DpoLossType.Ipo, false)]
    [InlineData(DpoLossType.Ipo, true)]
    public void With_policy_equal_to_reference_the_first_loss_is_its_constant_and_every_implicit_reward_is_exactly_zero(DpoLossType loss, bool live)
    {
        using var dir = new TempDir();
        var options = FirstStepOnly(dir, "run", loss, live ? "off" : dir.File("cache"));
        DpoJob.Run(options);
        var first = DpoTestKit.TrainMetrics(options.Output)[0];
        // dpo, cdpo (-(1-ε) log σ(0) - ε log σ(0)) and dpo-norm: ln 2. ipo: (0 - 1/(2β))² = 25 at β = 0.1.
        double expected = loss == DpoLossType.Ipo ? Math.Pow(1 / (2 * DpoOptions.DefaultBeta), 2) : Math.Log(2);
        Assert.Equal(expected, DpoTestKit.Value(first, "loss"), 1e-4);
        Assert.Equal(expected, DpoTestKit.Value(first, "loss"), 1e-12); // the reference pass repeats the first step's forward bit for bit
        foreach (string name in new[] { "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins" })
            Assert.Equal(0.0, DpoTestKit.Value(first, name));
        Assert.True(DpoTestKit.Value(first, "logps/chosen") < 0 && DpoTestKit.Value(first, "logps/rejected") < 0);
        Assert.Equal(live ? "live" : "cached", DpoTestKit.Run(options.Output)["reference"]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public void SimPO_has_no_reference_so_its_first_loss_comes_from_the_starting_model_alone()
    {
        using var dir = new TempDir();
        var options = FirstStepOnly(dir, "run", DpoLossType.Simpo, dir.File("cache")) with { RefCache = null };
        DpoJob.Run(options);
        var first = DpoTestKit.TrainMetrics(options.Output)[0];
        Assert.Equal("none", DpoTestKit.Run(options.Output)["reference"]!["mode"]!.GetValue<string>());
        Assert.False(Directory.Exists(dir.File("cache")));

        // Independently: each pair alone through the starting model, length-averaged log-probs in float64,
        // loss -log σ(β (p̄c - p̄r) - γ) with SimPO's defaults β 2, γ 0.5; rewards β p̄.
        var (chosen, rejected) = AveragedLogProbs(options);
        double beta = DpoOptions.DefaultSimpoBeta, gamma = DpoOptions.DefaultSimpoGamma;
        double loss = chosen.Zip(rejected, (c, r) => Math.Log(1 + Math.Exp(-(beta * (c - r) - gamma)))).Average();
        Assert.Equal(loss, DpoTestKit.Value(first, "loss"), 1e-5);
        Assert.Equal(beta * chosen.Average(), DpoTestKit.Value(first, "rewards/chosen"), 1e-5);
        Assert.Equal(beta * rejected.Average(), DpoTestKit.Value(first, "rewards/rejected"), 1e-5);
        Assert.Equal(chosen.Zip(rejected, (c, r) => c > r ? 1.0 : 0.0).Average(), DpoTestKit.Value(first, "rewards/accuracies"), 1e-12);
        Assert.NotEqual(Math.Log(2), DpoTestKit.Value(first, "loss"), 1e-3);
    }

    static (double[] Chosen, double[] Rejected) AveragedLogProbs(DpoJobOptions options)
    {
        var tokenizer = TokenizerLoader.Load(options.Model);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        var pairs = DatasetReader.ReadPairs(options.Data).Select(p => chat.Pair(p, options.MaxLength, TruncationPolicy.Truncate, new CollationReport())!).ToList();
        using var model = CausalLM.Load(options.Model);
        using var noGrad = no_grad();
        double Average(TokenizedSequence s)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(s.Ids.Select(i => (long)i).ToArray()).unsqueeze(0);
            var logProbs = model.forward(ids).to_type(ScalarType.Float64).log_softmax(-1)[0];   // [T, V]
            double sum = 0;
            int count = 0;
            for (int t = 1; t < s.Length; t++)
                if (s.LossMask[t]) { sum += logProbs[t - 1, s.Ids[t]].item<double>(); count++; }
            return sum / count;
        }
        return (pairs.Select(p => Average(p.Chosen)).ToArray(), pairs.Select(p => Average(p.Rejected)).ToArray());
    }

    [Fact]
    public void An_empty_completion_row_sums_to_zero_and_the_length_normalised_losses_stay_finite()
    {
        using var dir = new TempDir();
        using var model = CausalLM.Load(DpoTestKit.Model(dir.File("model"), seed: 2));
        var full = new TokenizedSequence([2, 5, 11, 9, 14, 21, 3], [false, false, false, false, true, true, true]);
        var empty = new TokenizedSequence([2, 5, 11, 9, 14], [false, false, false, false, false]);
        using var batch = Collator.PadPairs([new TokenizedPair(full, empty, 4, null), new TokenizedPair(empty, full, 4, null)], padId: 0);
        using var scope = NewDisposeScope();
        var logps = PairLogProbs.Of(model, batch);
        Assert.Equal(0.0, logps.Rejected[0].item<double>());
        Assert.Equal(0.0, logps.Chosen[1].item<double>());
        Assert.Equal(new long[] { 3, 0 }, logps.ChosenLengths.data<long>().ToArray());
        Assert.True(logps.Chosen[0].item<double>() < 0);
        foreach (var loss in new[] { DpoLossType.Ipo, DpoLossType.DpoNorm, DpoLossType.Simpo })
        {
            var output = DpoLosses.Compute(new DpoInputs(logps.Chosen, logps.Rejected, zeros(2, dtype: ScalarType.Float64), zeros(2, dtype: ScalarType.Float64),
                logps.ChosenLengths, logps.RejectedLengths), new DpoOptions { Loss = loss });
            Assert.True(output.Losses.isfinite().all().item<bool>(), DpoLossTypes.Name(loss));
            Assert.True(output.ChosenRewards.isfinite().all().item<bool>(), DpoLossTypes.Name(loss));
        }
        // The masked mean itself: an empty row averages to 0, not NaN.
        var tokens = TokenLogProbs.OfCompletion(model.forward(batch.InputIds, batch.AttentionMask), batch.InputIds, batch.LossMask);
        Assert.Equal(0.0, Sequences.MeanLogProb(tokens.LogProbs, tokens.Mask)[2].item<float>());
    }
}
