using PrefLab.Cli.Lab;
using PrefLab.Lab.Grid;
using PrefLab.Lab.Recipes;
using PrefLab.Training;
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
        AssertCarries(grid.FixedRewardModel, recipe.RewardModel, "reward_model");
    }

    [Fact]
    public void The_tests_recipe_differs_from_the_demo_only_in_stated_budgets()
    {
        var demo = WorldRecipes.Demo;
        var tests = WorldRecipes.Tests;
        Assert.Equal(demo.Pretrain, tests.Pretrain);
        Assert.Equal(demo.Sft, tests.Sft);
        Assert.Equal(demo.Dpo, tests.Dpo);
        Assert.Equal(demo.DpoBeta, tests.DpoBeta);
        Assert.Equal(demo.RewardModel, tests.RewardModel);
        Assert.Equal(demo.Ppo with { Updates = tests.Ppo.Updates }, tests.Ppo);
        Assert.Equal((demo.Scale, demo.Preset, demo.MaxLength), (tests.Scale, tests.Preset, tests.MaxLength));
    }
}
