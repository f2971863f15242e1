using PrefLab.Cli.Lab;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Recipes;
using PrefLab.Training;
using PrefLab.World;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>The demo's grid and the learnability tests train with the same World recipes (<see cref="WorldRecipes"/>).</summary>
public class WorldRecipeTests
{
    static void AssertCarries(Settings settings, TrainingOptions recipe, string where)
    {
        Assert.True(recipe.MaxSteps is null ? settings.GetLong("epochs") == recipe.Epochs : settings.GetLong("max-steps") == recipe.MaxSteps, $"{where}: epochs");
        Assert.True(settings.GetDouble("lr") == recipe.Lr, $"{where}: lr {settings.GetDouble("lr")} vs the recipe's {recipe.Lr}");
        Assert.True(settings.GetLong("batch-size") == recipe.BatchSize, $"{where}: batch-size");
        Assert.True(settings.GetLong("grad-accum") == recipe.GradAccum, $"{where}: grad-accum");
        Assert.True(settings.GetDouble("warmup-ratio") == recipe.WarmupRatio, $"{where}: warmup-ratio");
        Assert.True(settings.GetDouble("min-lr-ratio") == recipe.MinLrRatio, $"{where}: min-lr-ratio");
        Assert.Equal(recipe.Schedule.ToString().ToLowerInvariant(), settings.GetString("lr-schedule"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_demo_grid_carries_the_World_recipe(bool quick)
    {
        using var dir = new TempDir();
        var recipe = quick ? WorldRecipes.Quick : WorldRecipes.Demo;
        var grid = GridFile.Load(LabGrids.Write(dir, DemoGrid.Text(quick)));
        AssertCarries(grid.Pretrain!, recipe.Pretrain, "pretrain");
        // The instrument reports the base model's loss on the World's held-out pretraining documents.
        Assert.Equal("world:" + PrefLab.World.Datasets.PretrainCorpus.HeldOutName, grid.Pretrain!.GetString("eval-data"));
        AssertCarries(grid.Sft, recipe.Sft, "sft");
        var dpo = grid.FixedByType[AlgorithmType.Dpo];
        AssertCarries(dpo, recipe.Dpo, "dpo");
        Assert.Equal(recipe.DpoBeta, dpo.GetDouble("beta"));
        var ppo = grid.FixedByType[AlgorithmType.Ppo];
        Assert.Equal(recipe.Ppo.Lr, ppo.GetDouble("lr"));
        Assert.Equal(recipe.Ppo.KlCoef, ppo.GetDouble("kl-coef"));
        Assert.Equal(recipe.Ppo.TotalEpisodes, ppo.GetLong("total-episodes"));
        Assert.Equal(recipe.Ppo.PpoEpochs, ppo.GetLong("ppo-epochs"));
        Assert.Equal(recipe.Ppo.MaxNewTokens, ppo.GetLong("max-new-tokens"));
        Assert.Equal(recipe.Ppo.Lambda, ppo.GetDouble("lam"));
        if (recipe.Ppo.ValueLr is double valueLr) Assert.Equal(valueLr, ppo.GetDouble("value-lr"));
        AssertCarries(grid.FixedRewardModel, recipe.RewardModel, "reward_model");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_bf16_demo_sets_the_precision_of_every_training_stage_and_an_fp32_one_none(bool quick)
    {
        using var dir = new TempDir();
        var bf16 = GridFile.Load(LabGrids.Write(dir, DemoGrid.Text(quick, precision: PrefLab.Models.Layers.LinearPrecision.Bf16)));
        foreach (var (where, settings) in new[] { ("pretrain", bf16.Pretrain!), ("sft", bf16.Sft), ("dpo", bf16.FixedByType[AlgorithmType.Dpo]),
                     ("ppo", bf16.FixedByType[AlgorithmType.Ppo]), ("reward_model", bf16.FixedRewardModel) })
            Assert.True(settings.GetString("precision") == "bf16", where);
        // fp32 is the commands' default: its grid is the one earlier demos ran, so their nodes are reused.
        Assert.DoesNotContain("precision", DemoGrid.Text(quick));
    }

    [Fact]
    public void The_quick_and_tests_recipes_share_the_demo_learning_rates_and_differ_in_budgets_only()
    {
        var demo = WorldRecipes.Demo;
        foreach (var other in new[] { WorldRecipes.Quick, WorldRecipes.Tests })
        {
            // The optimizer settings are the demo's; only epochs (and logging) change with the World's size.
            Assert.Equal(demo.Pretrain with { Epochs = other.Pretrain.Epochs, LogEvery = other.Pretrain.LogEvery }, other.Pretrain);
            Assert.Equal(demo.Sft with { Epochs = other.Sft.Epochs, LogEvery = other.Sft.LogEvery }, other.Sft);
            Assert.Equal(demo.Dpo with { Epochs = other.Dpo.Epochs, LogEvery = other.Dpo.LogEvery }, other.Dpo);
            Assert.Equal(demo.RewardModel with { Epochs = other.RewardModel.Epochs, LogEvery = other.RewardModel.LogEvery }, other.RewardModel);
            Assert.Equal((demo.DpoBeta, demo.Preset, demo.MaxLength), (other.DpoBeta, other.Preset, other.MaxLength));
            Assert.Equal((demo.Ppo.Lr, demo.Ppo.KlCoef), (other.Ppo.Lr, other.Ppo.KlCoef));
            // The small World has fewer rows, so it gets at least the demo's epochs.
            Assert.Equal(WorldScale.Small, other.Scale);
            Assert.True(other.Sft.Epochs >= demo.Sft.Epochs && other.RewardModel.Epochs >= demo.RewardModel.Epochs, other.Name);
        }
        Assert.Equal(WorldScale.Default, demo.Scale);
    }
}
