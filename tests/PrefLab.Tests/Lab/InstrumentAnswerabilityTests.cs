using PrefLab.Lab.Report;
using PrefLab.Statistics;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>The instrument says a question is answerable only when the components it needs have learned.</summary>
public class InstrumentAnswerabilityTests
{
    static Estimate E(double mean, double lower, double upper) => new(mean, lower, upper, 100);
    static readonly Estimate Flat = E(0.001, -0.02, 0.02), Up = E(0.12, 0.08, 0.16);

    static InstrumentFigures Figures(Estimate dpoClean, Estimate ppoGold, Estimate ppoRm, double rmLower) => new(
        [1, 2, 3], E(0.6, 0.55, 0.65), E(0.85, 0.8, 0.9), E(0.95, 0.92, 0.97), 280, 1.2, null,
        [new RewardModelAgreement("rm on clean", "rm", "clean", E(rmLower + 0.03, rmLower, rmLower + 0.06), new Dictionary<string, Estimate>())],
        [
            new PolicyUplift("dpo", "clean", null, null, [1, 2, 3], E(0.6, 0.55, 0.65), dpoClean),
            new PolicyUplift("ppo", "clean", "gold", "mixed", [1, 2, 3], E(0.6, 0.55, 0.65), ppoGold),
            new PolicyUplift("ppo", "clean", "rm", "mixed", [1, 2, 3], E(0.6, 0.55, 0.65), ppoRm),
            new PolicyUplift("ppo", "clean", "rm", "reasoning", [1, 2, 3], E(0.6, 0.55, 0.65), ppoRm),
        ], []);

    static Dictionary<string, bool> Answerable(InstrumentFigures f) =>
        Instrument.Answerability(f).ToDictionary(q => q.Question, q => q.Answerable);

    [Fact]
    public void Nothing_is_answerable_when_no_policy_moves()
    {
        var answers = Answerable(Figures(Flat, Flat, Flat, 0.45));
        Assert.All(answers.Values, Assert.False);
        var rm = Instrument.Answerability(Figures(Flat, Flat, Flat, 0.45)).Single(q => q.Question == "reward_model");
        Assert.Contains("PPO with the gold reward does not beat SFT", rm.Why);
    }

    [Fact]
    public void The_reward_model_question_needs_the_gold_ceiling_above_SFT_and_an_RM_above_chance()
    {
        Assert.False(Answerable(Figures(Flat, Up, Flat, 0.45))["reward_model"]);   // RM at chance
        Assert.True(Answerable(Figures(Flat, Up, Flat, 0.62))["reward_model"]);
        Assert.False(Answerable(Figures(Up, Flat, Up, 0.62))["reward_model"]);   // gold PPO does not beat SFT
    }

    [Fact]
    public void Best_of_n_with_the_gold_judge_is_a_ceiling_too_when_PPO_with_gold_is_flat()
    {
        var flatPpo = Figures(Flat, Flat, Flat, 0.62);
        var withRerank = flatPpo with
        {
            Uplifts = [.. flatPpo.Uplifts, new PolicyUplift("bon4", null, "gold", null, [1, 2, 3], E(0.7, 0.65, 0.75), Up, "best-of-n")],
        };
        var rm = Instrument.Answerability(withRerank).Single(q => q.Question == "reward_model");
        Assert.True(rm.Answerable, rm.Why);
        Assert.Contains("only through best-of-N", rm.Why);
        // A best-of-N level is known by its type, not its name: the same row without the type is not a ceiling.
        var untyped = flatPpo with { Uplifts = [.. flatPpo.Uplifts, new PolicyUplift("bon4", null, "gold", null, [1, 2, 3], E(0.7, 0.65, 0.75), Up)] };
        Assert.False(Answerable(untyped)["reward_model"]);
        // And the RM must still be above chance.
        var atChance = withRerank with { RewardModels = Figures(Flat, Flat, Flat, 0.45).RewardModels };
        Assert.False(Answerable(atChance)["reward_model"]);
    }

    [Fact]
    public void Data_and_prompt_questions_follow_DPO_and_RM_PPO_moving_the_policy()
    {
        var answers = Answerable(Figures(Up, Flat, Up, 0.62));
        Assert.True(answers["data"]);
        Assert.True(answers["algorithm"]);
        Assert.True(answers["prompts"]);
        // A policy made worse also shows the instrument moves it.
        Assert.True(Answerable(Figures(E(-0.1, -0.14, -0.06), Flat, Flat, 0.62))["data"]);
    }

    [Fact]
    public void The_prompt_question_needs_two_prompt_sets()
    {
        var both = Figures(Up, Flat, Up, 0.62);
        var oneSet = both with { Uplifts = both.Uplifts.Where(u => u.Prompts != "reasoning").ToList() };
        var prompts = Instrument.Answerability(oneSet).Single(q => q.Question == "prompts");
        Assert.False(prompts.Answerable);
        Assert.Contains("one prompt set (mixed)", prompts.Why);
    }

    [Fact]
    public void Reward_models_are_compared_on_the_pairs_both_scored_paired_by_pair()
    {
        // 200 shared pairs: the first RM right on 160, the second on 120 of the same pairs (and on a pair the first never saw).
        var first = Enumerable.Range(0, 200).ToDictionary(i => ("world-heldout · safety", $"p{i:D3}"), i => i < 160 ? 1.0 : 0.0);
        var second = Enumerable.Range(0, 200).ToDictionary(i => ("world-heldout · safety", $"p{i:D3}"), i => i < 120 ? 1.0 : 0.0);
        second[("world-heldout · safety", "extra")] = 1.0;
        var options = new BootstrapOptions { Resamples = 1000 };
        var difference = Instrument.AgreementDifference("rm on clean", first, "rm on noisy", second, options)!;
        Assert.Equal(200, difference.Pairs);
        Assert.Equal(0.2, difference.Difference.Mean, 12);
        // Paired: the pairs the second gets right the first gets right too, so the difference's spread is only the
        // 40 pairs where they disagree (±0.055), narrower than the unpaired difference of 0.8 and 0.6 (±0.088).
        Assert.True(difference.Difference.Lower > 0.13 && difference.Difference.Upper < 0.27, $"{difference.Difference}");
        Assert.Null(Instrument.AgreementDifference("a", first, "b", new Dictionary<(string, string), double> { [("x", "y")] = 1 }, options));
    }
}
