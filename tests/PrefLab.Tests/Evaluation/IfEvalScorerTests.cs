using PrefLab.Evaluation.IfEval;
using PrefLab.Statistics;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class IfEvalScorerTests
{
    static IfEvalInstruction Instruction(string id, string kwargs = "{}") => new(id, IfEvalInstructionTests.Kwargs(kwargs));

    [Fact]
    public void Loose_variants_drop_first_and_last_lines_and_asterisks_in_the_original_order()
    {
        var variants = IfEvalScorer.LooseVariants("Sure:\n*body*\nBye");
        Assert.Equal(["Sure:\n*body*\nBye", "Sure:\nbody\nBye", "*body*\nBye", "Sure:\n*body*", "*body*", "body\nBye", "Sure:\nbody", "body"], variants);
        Assert.Equal(["one line", "one line", "", "", "", "", "", ""], IfEvalScorer.LooseVariants("one line"));
    }

    [Fact]
    public void A_preamble_line_fails_strict_and_passes_loose()
    {
        var item = new IfEvalItem("1", "p", [Instruction("punctuation:no_comma"), Instruction("startend:quotation")]);
        var result = IfEvalScorer.Score(item, "Sure, here it is:\n\"Hello world\"");
        Assert.Equal([false, false], result.Strict);
        Assert.Equal([true, true], result.Loose);
        Assert.False(result.PromptFollowed(loose: false));
        Assert.True(result.PromptFollowed(loose: true));
    }

    [Fact]
    public void Markdown_asterisks_fail_strict_and_pass_loose()
    {
        var item = new IfEvalItem("2", "p", [Instruction("detectable_format:json_format")]);
        var result = IfEvalScorer.Score(item, "**{\"a\": 1}**");
        Assert.Equal([false], result.Strict);
        Assert.Equal([true], result.Loose);
        // A trailing sign-off line: the end phrase is found once the last line is dropped.
        var ending = new IfEvalItem("3", "p", [Instruction("startend:end_checker", """{"end_phrase": "Any other questions?"}""")]);
        var signed = IfEvalScorer.Score(ending, "Text. Any other questions?\n-- bot");
        Assert.Equal([false], signed.Strict);
        Assert.Equal([true], signed.Loose);
    }

    [Fact]
    public void An_empty_response_follows_nothing_even_no_comma()
    {
        var item = new IfEvalItem("4", "p", [Instruction("punctuation:no_comma"), Instruction("keywords:forbidden_words", """{"forbidden_words": ["x"]}""")]);
        var result = IfEvalScorer.Score(item, "  \n ");
        Assert.Equal([false, false], result.Strict);
        Assert.Equal([false, false], result.Loose);
    }

    [Fact]
    public void Aggregate_reports_prompt_and_instruction_level_strict_and_loose()
    {
        var first = IfEvalScorer.Score(
            new IfEvalItem("a", "p", [Instruction("punctuation:no_comma"), Instruction("startend:quotation")]),
            "\"Hello world\"\nBye, then");   // strict: comma fails, quotation fails; loose (drop last line): both pass
        var second = IfEvalScorer.Score(
            new IfEvalItem("b", "p", [Instruction("punctuation:no_comma")]),
            "No commas");
        var third = IfEvalScorer.Score(
            new IfEvalItem("c", "p", [Instruction("detectable_format:title")]),
            "No title at all");
        var accuracy = IfEvalScorer.Aggregate([first, second, third]);
        Assert.Equal(1.0 / 3, accuracy.PromptStrict, 12);
        Assert.Equal(1.0 / 4, accuracy.InstructionStrict, 12);
        Assert.Equal(2.0 / 3, accuracy.PromptLoose, 12);
        Assert.Equal(3.0 / 4, accuracy.InstructionLoose, 12);
        Assert.Equal((3, 4, 0), (accuracy.Prompts, accuracy.Instructions, accuracy.SkippedPrompts));
        Assert.Equal(
        [
            new InstructionAccuracy("detectable_format:title", 1, 0, 0),
            new InstructionAccuracy("punctuation:no_comma", 2, 0.5, 1),
            new InstructionAccuracy("startend:quotation", 1, 0, 1),
        ], accuracy.ByInstruction);

        var intervals = IfEvalScorer.Intervals([first, second, third], new BootstrapOptions { Resamples = 200 });
        Assert.Equal(1.0 / 3, intervals.PromptStrict.Mean, 12);
        Assert.Equal(3.0 / 4, intervals.InstructionLoose.Mean, 12);
        Assert.True(intervals.PromptLoose.Lower <= 2.0 / 3 && intervals.PromptLoose.Upper >= 2.0 / 3);
    }

    [Fact]
    public void Unsupported_instructions_error_unless_their_prompts_are_skipped()
    {
        var language = new IfEvalItem("kn", "Answer in Kannada.", [Instruction("language:response_language", """{"language": "kn"}""")]);
        var plain = new IfEvalItem("p", "p", [Instruction("punctuation:no_comma")]);
        Assert.Throws<UnsupportedInstructionError>(() => IfEvalScorer.Score(language, "ಹೌದು"));
        var skipped = IfEvalScorer.Score(language, "ಹೌದು", UnsupportedInstructions.SkipPrompt);
        Assert.True(skipped.Skipped);
        var accuracy = IfEvalScorer.Aggregate([skipped, IfEvalScorer.Score(plain, "fine", UnsupportedInstructions.SkipPrompt)]);
        Assert.Equal((1, 1, 1), (accuracy.Prompts, accuracy.Instructions, accuracy.SkippedPrompts));
        Assert.Equal(1.0, accuracy.PromptStrict);
    }
}
