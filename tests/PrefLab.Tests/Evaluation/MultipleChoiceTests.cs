using PrefLab.Evaluation.Scorers;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class MultipleChoiceTests
{
    // raw: -6, -8, -7            -> option 0
    // per token: -3, -1, -3.5    -> option 1
    // per char: -1.5, -0.2, -0.1 -> option 2
    static readonly ChoiceLikelihood[] Crafted =
    [
        new(-6.0, TokenCount: 2, CharCount: 4),
        new(-8.0, TokenCount: 8, CharCount: 40),
        new(-7.0, TokenCount: 2, CharCount: 70),
    ];

    [Fact]
    public void Raw_and_normalised_picks_differ_on_a_crafted_item()
    {
        Assert.Equal(0, MultipleChoice.Pick(Crafted, ChoiceNormalization.None));
        Assert.Equal(1, MultipleChoice.Pick(Crafted, ChoiceNormalization.PerToken));
        Assert.Equal(2, MultipleChoice.Pick(Crafted, ChoiceNormalization.PerCharacter));
        Assert.Equal(-0.2, MultipleChoice.Score(Crafted[1], ChoiceNormalization.PerCharacter), 12);
    }

    [Fact]
    public void Item_results_and_accuracy_count_each_normalisation()
    {
        var first = MultipleChoice.Score(Crafted, gold: 2);
        Assert.Equal(new MultipleChoiceResult(2, 0, 1, 2), first);
        Assert.False(first.CorrectRaw);
        Assert.True(first.CorrectPerCharacter);
        var second = MultipleChoice.Score(Crafted, gold: 0);
        var third = MultipleChoice.Score([new(-1, 1, 1), new(-2, 1, 1)], gold: 0);
        var accuracy = MultipleChoice.Accuracy([first, second, third]);
        Assert.Equal(2.0 / 3, accuracy.Raw, 12);
        Assert.Equal(1.0 / 3, accuracy.PerToken, 12);
        Assert.Equal(2.0 / 3, accuracy.PerCharacter, 12);
        Assert.Equal(3, accuracy.N);
    }

    [Fact]
    public void Ties_go_to_the_first_option()
    {
        Assert.Equal(1, MultipleChoice.Pick([new(-3, 1, 1), new(-2, 1, 1), new(-2, 1, 1)], ChoiceNormalization.None));
    }

    [Fact]
    public void True_probability_mass_is_stable_for_very_negative_likelihoods()
    {
        double shift = -1000;
        var choices = new ChoiceLikelihood[]
        {
            new(Math.Log(0.5) + shift, 3, 10), new(Math.Log(0.3) + shift, 3, 10), new(Math.Log(0.2) + shift, 3, 10),
        };
        Assert.Equal(0.7, MultipleChoice.TrueProbabilityMass(choices, [true, false, true]), 12);
        Assert.Equal(0.3, MultipleChoice.TrueProbabilityMass(choices, [false, true, false]), 12);
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => MultipleChoice.Pick([], ChoiceNormalization.None));
        Assert.Throws<ArgumentException>(() => MultipleChoice.Pick([new(-1, 0, 3)], ChoiceNormalization.PerToken));
        Assert.Throws<ArgumentException>(() => MultipleChoice.Pick([new(double.NaN, 1, 3)], ChoiceNormalization.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipleChoice.Score(Crafted, gold: 3));
    }
}
