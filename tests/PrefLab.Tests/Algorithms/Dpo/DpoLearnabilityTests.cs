using PrefLab.Algorithms.Dpo;
using PrefLab.Tests.Fixtures;
using PrefLab.Training;
using Xunit.Abstractions;
using Xunit;

namespace PrefLab.Tests.Algorithms.Dpo;

/// <summary>DPO on the small Preference World, from the shared fixture's SFT model (never retrained here).</summary>
[Collection("WorldModels")]
public class DpoLearnabilityTests(WorldModelsFixture world, ITestOutputHelper output)
{
    /// <summary>
    /// The World recipe: gentle and long (10 epochs at lr 1e-5, effective batch 16). world-small needs larger steps than
    /// the paper's 5e-7 for 13B models, but larger ones than this gain no held-out accuracy and lower the greedy answers' gold:
    /// measured (seed 1, same split) 3 epochs at 1e-4 gave accuracy 0.600 and gold 0.2506; 3 at 3e-4, 0.650 and 0.2244;
    /// 3 at 1e-3, 0.600 and 0.1930 (gold: mean over categories of 20 greedy items each, SFT 0.2644) — safety and
    /// instruction following are what large steps lose.
    /// </summary>
    public static TrainingOptions WorldRecipe => WorldModelsFixture.Recipe.Dpo;
    public static double Beta => WorldModelsFixture.Recipe.DpoBeta;
    /// <summary>Generative evaluation items per category: 40 takes them all (248), the least noisy estimate the World offers.</summary>
    public const int GoldItemsPerCategory = 40;

    /// <summary>The most the mean gold of greedy answers may fall, at the lower end of its paired 95% interval. The
    /// interval's half-width at 248 items is about 0.018, so a floor closer to 0 than that would test the seed's draw,
    /// not the recipe (World version 3 measured a lower end of −0.0199); harmful steps fall further (−0.07 at 1e-3).</summary>
    public const double GoldFloor = -0.03;

    [Fact]
    public void DPO_on_clean_pairs_learns_held_out_preferences_without_lowering_the_gold_score_of_greedy_answers()
    {
        // Trained on all of the World's pairwise preferences (gold agreement 0.95); evaluated on the World's held-out
        // pairs (its evaluation prompts, fresh responses from every responder, labelled by the gold judge: the set
        // `rm eval --world-pairs` uses), one a prompt: a few hundred pairs, where 40 held-out rows could not tell 0.60
        // from chance.
        string folder = world.NewFolder("dpo");
        string train = Path.Combine(world.WorldDir, "preferences", "pairwise.jsonl"), eval = Path.Combine(folder, "eval.jsonl");
        var heldOut = PrefLab.Evaluation.RewardModels.WorldHeldOutPairs.Build(world.World, pairsPerPrompt: 1).Pairs;
        File.WriteAllLines(eval, heldOut.Select(p => new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = p.Id, ["prompt"] = p.Prompt.Single().Content, ["chosen"] = p.Chosen.Single().Content, ["rejected"] = p.Rejected.Single().Content,
        }.ToJsonString()));
        int heldOutCount = heldOut.Count;

        var options = new DpoJobOptions
        {
            Model = world.SftDir, Data = train, EvalData = eval, Output = Path.Combine(folder, "run"), RefCache = Path.Combine(folder, "cache"),
            MaxLength = WorldModelsFixture.MaxLength, Dpo = new DpoOptions { Beta = Beta }, Training = WorldRecipe with { EvalEvery = 1000 },
        };
        var result = DpoJob.Run(options);

        // Held-out implicit-reward accuracy (a 0/1 verdict per pair, ties wrong): exactly 0 at the start (policy ==
        // reference), and at the end its 95% interval must clear chance. Measured with this recipe (lr 3e-5, β 0.5) on World
        // version 3: 0.638 [0.568, 0.704] on 199 pairs (seed 1); at lr 1e-5, β 0.1, 0.598 [0.533, 0.663]; on the 40 last
        // pairwise rows held out instead, 0.60 [0.45, 0.75].
        double accuracy = result.FinalMetrics["eval/rewards/accuracies"];
        int right = (int)Math.Round(accuracy * heldOutCount);
        var verdicts = Enumerable.Range(0, heldOutCount).Select(i => i < right ? 1.0 : 0.0).ToList();
        var accuracyInterval = PrefLab.Statistics.Bootstrap.Mean(verdicts, new() { Resamples = 2000 });
        Assert.True(accuracyInterval.Lower > 0.5, $"held-out implicit-reward accuracy {accuracyInterval}: its interval includes chance");
        Assert.True(result.FinalMetrics["eval/rewards/margins"] > 0);

        // Greedy answers to the held-out evaluation prompts, judged by the World's gold scorer, paired by item against
        // SFT. What this size can claim: no loss (the interval's lower end above GoldFloor; larger DPO steps lost up to
        // 0.07 on the demo's World). It cannot claim a gain: measured +0.0054 [-0.0138, +0.0234] on World version 3 (seed 1,
        // 248 items; at lr 1e-5, β 0.1: -0.0016 [-0.0199, +0.0159]; version 2: +0.014 [-0.002, +0.029]), an interval that
        // spans 0, where the demo's DPO at demo size shows +0.014 to +0.021 a seed (WorldRecipes' remarks).
        var sftItems = world.GoldItemScores(world.SftDir, GoldItemsPerCategory);
        var dpoItems = world.GoldItemScores(options.Output, GoldItemsPerCategory);
        var sft = sftItems.GroupBy(i => i.Category).ToDictionary(g => g.Key, g => g.Average(i => i.Score));
        var dpo = dpoItems.GroupBy(i => i.Category).ToDictionary(g => g.Key, g => g.Average(i => i.Score));
        var uplift = WorldModelsFixture.GoldUplift(dpoItems, sftItems);
        string table = string.Join("; ", sft.Keys.Select(c => $"{c} {sft[c]:F3} -> {dpo[c]:F3}")) +
            $"; mean {sft.Values.Average():F4} -> {dpo.Values.Average():F4}; uplift {uplift}";
        output.WriteLine($"held-out accuracy {accuracyInterval}, margin {result.FinalMetrics["eval/rewards/margins"]:F3}, {result.Steps} steps; gold {table}");
        Assert.True(uplift.Lower > GoldFloor, table);
    }
}
