using PrefLab.Algorithms.Dpo;
using PrefLab.Runtime;
using PrefLab.Tests.Cli;
using Xunit;

namespace PrefLab.Tests.Algorithms.Dpo;

/// <summary>No option is silently ignored: each variant and knob changes the loss, and an option that does not
/// apply is a one-line error naming it.</summary>
public class DpoOptionTests
{
    [Fact]
    public void Each_variant_and_knob_changes_the_first_loss_on_the_same_inputs()
    {
        using var dir = new TempDir();
        string policy = DpoTestKit.Model(dir.File("policy"), seed: 11);
        string reference = DpoTestKit.Model(dir.File("reference"), seed: 12);   // policy != reference, so ratios are not 0
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 8);
        int run = 0;
        double FirstLoss(DpoOptions dpo)
        {
            var options = DpoTestKit.Options(policy, data, dir.File("run" + run++), dir.File("cache"), dpo) with
            {
                ReferenceModel = dpo.Loss == DpoLossType.Simpo ? null : reference,
                RefCache = dpo.Loss == DpoLossType.Simpo ? null : dir.File("cache"),
                Training = new() { Lr = 1e-3, BatchSize = 4, GradAccum = 2, MaxSteps = 1, Seed = 3 },
            };
            DpoJob.Run(options);
            return DpoTestKit.Value(DpoTestKit.TrainMetrics(options.Output)[0], "loss");
        }

        double dpo = FirstLoss(new DpoOptions { Loss = DpoLossType.Dpo });
        Assert.NotEqual(Math.Log(2), dpo, 1e-3);
        var variants = new Dictionary<string, double>
        {
            ["cdpo"] = FirstLoss(new DpoOptions { Loss = DpoLossType.Cdpo }),
            ["ipo"] = FirstLoss(new DpoOptions { Loss = DpoLossType.Ipo }),
            ["simpo"] = FirstLoss(new DpoOptions { Loss = DpoLossType.Simpo }),
            ["dpo-norm"] = FirstLoss(new DpoOptions { Loss = DpoLossType.DpoNorm }),
            ["dpo beta 0.5"] = FirstLoss(new DpoOptions { Loss = DpoLossType.Dpo, Beta = 0.5 }),
        };
        foreach (var (name, loss) in variants) Assert.True(Math.Abs(loss - dpo) > 1e-6, $"{name}: {loss} vs dpo {dpo}");
        Assert.True(Math.Abs(FirstLoss(new DpoOptions { Loss = DpoLossType.Cdpo, LabelSmoothing = 0.3 }) - variants["cdpo"]) > 1e-6, "label smoothing");
        Assert.True(Math.Abs(FirstLoss(new DpoOptions { Loss = DpoLossType.Simpo, SimpoGamma = 1.5 }) - variants["simpo"]) > 1e-6, "simpo gamma");
        Assert.True(Math.Abs(FirstLoss(new DpoOptions { Loss = DpoLossType.Ipo, Beta = 0.5 }) - variants["ipo"]) > 1e-6, "ipo beta");
    }

    [Theory]
    [InlineData("--loss dpo --simpo-gamma 1", "--simpo-gamma")]
    [InlineData("--loss ipo --label-smoothing 0.2", "--label-smoothing")]
    [InlineData("--loss dpo --label-smoothing 0.2", "--label-smoothing")]
    [InlineData("--loss cdpo --label-smoothing 0.7", "--label-smoothing")]
    [InlineData("--loss simpo --ref-cache off", "--ref-cache")]
    [InlineData("--loss simpo --ref-model REF", "--ref-model")]
    [InlineData("--loss kto", "--loss")]
    [InlineData("--beta -1", "--beta")]
    [InlineData("--binarize best-worst", "--binarize")]
    public void An_option_that_does_not_apply_is_a_one_line_error_naming_it_and_no_run_starts(string extra, string named)
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 1);
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 4);
        var args = new List<string> { "dpo", "--model", model, "--data", data, "--output", dir.File("out"), "--ref-cache", dir.File("cache") };
        var extras = extra.Split(' ').Select(a => a == "REF" ? model : a).ToList();
        if (extras.Contains("--ref-cache")) args.RemoveRange(args.Count - 2, 2);
        args.AddRange(extras);
        var (exit, _, error) = CliAppTests.Run(args.ToArray());
        Assert.Equal(2, exit);
        Assert.Contains(named, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void The_paper_recipe_is_the_default()
    {
        var training = DpoJob.PaperTraining;
        Assert.Equal((5e-7, 3, 32, 0.1), (training.Lr, training.Epochs, training.EffectiveBatch, training.WarmupRatio));
        Assert.Equal(PrefLab.Training.LrScheduleKind.Linear, training.Schedule);
        Assert.Equal(0.1, new DpoOptions().Validate().Beta);
        var options = new DpoJobOptions { Model = "m", Data = "d", Output = "o" };
        Assert.Same(DpoJob.PaperTraining, options.Training);
        Assert.Null(options.ReferenceModel);   // the reference is the starting model
        Assert.Throws<UserError>(() => new DpoOptions { Loss = DpoLossType.Simpo, LabelSmoothing = 0.1 }.Validate());
    }
}
