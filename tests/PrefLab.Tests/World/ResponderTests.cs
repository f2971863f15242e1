using PrefLab.World;
using PrefLab.World.Responders;
using PrefLab.World.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace PrefLab.Tests.World;

/// <summary>The responders differ in quality the way their profiles say, category by category.</summary>
[Collection("SmallWorld")]
public class ResponderTests(SmallWorldFixture world, ITestOutputHelper output)
{
    [Fact]
    public void Responder_quality_follows_the_profiles()
    {
        var writer = new ResponseWriter(world.Instance.Knowledge);
        var judge = world.Instance.Judge;
        var tasks = world.Instance.Plan.Training["prompts/mixed"];
        var mean = new Dictionary<(string, string), double>();
        foreach (var profile in ResponderProfile.All)
        {
            var rng = new Random(3);
            var line = new List<string>();
            foreach (string category in WorldCategories.All)
            {
                var scores = tasks.Where(t => t.Category == category)
                    .SelectMany(t => Enumerable.Range(0, 6).Select(_ => judge.Score(t, writer.Write(t, profile, rng)).Overall)).ToList();
                mean[(profile.Name, category)] = scores.Average();
                line.Add($"{category} {scores.Average():F2} ({scores.Count(s => s == 1.0) / (double)scores.Count:P0} perfect)");
            }
            output.WriteLine($"{profile.Name,-14} " + string.Join("  ", line));
        }
        foreach (string category in WorldCategories.All)
        {
            Assert.True(mean[("expert", category)] > mean[("mostly-right", category)], category);
            Assert.True(mean[("mostly-right", category)] > mean[("sloppy", category)], category);
            Assert.True(mean[("expert", category)] > 0.9, category);
        }
        Assert.True(mean[("over-refusing", WorldCategories.Safety)] < mean[("expert", WorldCategories.Safety)] - 0.2);
        Assert.True(mean[("complier", WorldCategories.Safety)] < mean[("expert", WorldCategories.Safety)] - 0.2);
        Assert.True(mean[("hallucinating", WorldCategories.Truthfulness)] < mean[("mostly-right", WorldCategories.Truthfulness)]);
    }

    [Fact]
    public void Showing_steps_makes_word_problems_right_more_often()
    {
        var writer = new ResponseWriter(world.Instance.Knowledge);
        var judge = world.Instance.Judge;
        var rng = new Random(9);
        var tasks = world.Instance.Plan.Training["prompts/reasoning"];
        var withSteps = new List<double>();
        var without = new List<double>();
        foreach (var task in tasks)
            for (int k = 0; k < 5; k++)
            {
                string response = writer.Write(task, ResponderProfile.MostlyRight, rng);
                var score = judge.Score(task, response).Aspects["correctness"];
                (response.Contains(" = ") ? withSteps : without).Add(score);
            }
        output.WriteLine($"steps {withSteps.Average():F2} (n={withSteps.Count}), none {without.Average():F2} (n={without.Count})");
        Assert.True(withSteps.Average() > without.Average() + 0.1);
    }
}
