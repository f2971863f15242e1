using PrefLab.Evaluation.Benchmarks;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class FewShotPromptTests
{
    static readonly Gsm8kItem[] Pool = Enumerable.Range(0, 10)
        .Select(i => new Gsm8kItem(i.ToString(), $"What is {i} + 1?", $"{i} + 1 = <<{i}+1={i + 1}>>{i + 1}\n#### {i + 1}", (i + 1).ToString()))
        .ToArray();

    [Fact]
    public void Gsm8k_prompt_has_the_lm_eval_layout()
    {
        string prompt = Gsm8kPrompts.Build(Pool[3], [Pool[0], Pool[1]]);
        Assert.Equal(
            "Question: What is 0 + 1?\nAnswer: 0 + 1 = <<0+1=1>>1\n#### 1\n\n" +
            "Question: What is 1 + 1?\nAnswer: 1 + 1 = <<1+1=2>>2\n#### 2\n\n" +
            "Question: What is 3 + 1?\nAnswer:", prompt);
        Assert.Equal("Question: What is 3 + 1?\nAnswer:", Gsm8kPrompts.Build(Pool[3], []));
    }

    [Fact]
    public void Seeded_examples_are_stable_distinct_and_never_the_target()
    {
        var first = FewShot.Select(Pool, 4, Pool[2].Question, item => item.Question, seed: 1);
        var again = FewShot.Select(Pool, 4, Pool[2].Question, item => item.Question, seed: 1);
        Assert.Equal(first, again);
        Assert.Equal(4, first.Distinct().Count());
        Assert.DoesNotContain(Pool[2], first);
        // Over a few seeds the draw changes, and every eligible example shows up somewhere.
        var seen = Enumerable.Range(0, 20).SelectMany(seed => FewShot.Select(Pool, 4, Pool[2].Question, item => item.Question, seed)).ToHashSet();
        Assert.Equal(9, seen.Count);
        Assert.Equal(Pool.Where((_, i) => i != 2).Take(3), FewShot.Select(Pool, 3, Pool[2].Question, item => item.Question, 0, FewShotSelection.FirstN));
        Assert.Throws<UserError>(() => FewShot.Select(Pool, 10, Pool[2].Question, item => item.Question, 0));
        Assert.Equal(Gsm8kPrompts.Build(Pool[2], first), Gsm8kPrompts.Build(Pool[2], Pool, 4, seed: 1));
    }

    [Fact]
    public void Mmlu_prompt_has_the_original_layout_and_letter_continuations()
    {
        var example = new MultipleChoiceItem("0", "Which is a vector?", ["mass", "velocity", "time", "energy"], 1, "high_school_physics");
        var target = new MultipleChoiceItem("1", " What is the SI unit of force? ", ["joule", "watt", "newton", "pascal"], 2, "high_school_physics");
        Assert.Equal(
            "The following are multiple choice questions (with answers) about high school physics.\n\n" +
            "Which is a vector?\nA. mass\nB. velocity\nC. time\nD. energy\nAnswer: B\n\n" +
            "What is the SI unit of force?\nA. joule\nB. watt\nC. newton\nD. pascal\nAnswer:",
            MultipleChoicePrompts.Build(target, [example]));
        Assert.Equal([" A", " B", " C", " D"], MultipleChoicePrompts.LetterContinuations(target));
        Assert.Equal([" joule", " watt", " newton", " pascal"], MultipleChoicePrompts.TextContinuations(target));
        Assert.StartsWith("The following are multiple choice questions (with answers).\n\nQ?",
            MultipleChoicePrompts.Build(new MultipleChoiceItem("2", "Q?", ["a", "b"], 0, null), []));
    }
}
