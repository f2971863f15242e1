using PrefLab.Evaluation.Scorers;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class NumericAnswerTests
{
    [Theory]
    [InlineData("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips.\n#### 72", "72")]
    [InlineData("#### 1,000", "1000")]
    [InlineData("#### -3", "-3")]
    [InlineData("#### $18.00", "18")]
    [InlineData("#### 0.50", "0.5")]
    [InlineData("so #### 12 apples\n#### 13", "12")]
    [InlineData("####5.", "5")]
    public void Gsm8k_marker_gives_the_first_number_after_the_first_marker(string text, string expected) =>
        Assert.Equal(expected, NumericAnswer.AfterGsm8kMarker(text));

    [Theory]
    [InlineData("The answer is 42, no marker")]
    [InlineData("#### none of them")]
    [InlineData("####\n42")]
    public void Gsm8k_marker_without_a_number_on_its_line_gives_null(string text) =>
        Assert.Null(NumericAnswer.AfterGsm8kMarker(text));

    [Theory]
    [InlineData("The answer is 42.", "42")]
    [InlineData("It costs $1,234.50 in total.", "1234.5")]
    [InlineData("from 3 to -7", "-7")]
    [InlineData("pages 5-10", "10")]
    [InlineData("We get 42.0", "42")]
    [InlineData("\u22125 degrees", "-5")]
    [InlineData("x2 and 7", "7")]
    [InlineData("1,2,3", "3")]
    [InlineData("12,34", "34")]
    [InlineData("-0.0", "0")]
    [InlineData("about .5 of it", "0.5")]
    [InlineData("agent 007", "7")]
    [InlineData("1,234,567 people", "1234567")]
    [InlineData("50% off", "50")]
    public void Last_number_handles_commas_signs_decimals_and_trailing_periods(string text, string expected) =>
        Assert.Equal(expected, NumericAnswer.LastNumber(text));

    [Fact]
    public void Text_without_numbers_has_no_last_number() => Assert.Null(NumericAnswer.LastNumber("no numbers here."));

    [Theory]
    [InlineData("42.0", "42")]
    [InlineData("42", "42")]
    [InlineData(" 1,000 ", "1000")]
    [InlineData("3.", "3")]
    [InlineData("$-2.50", "-2.5")]
    [InlineData("-$2.50", "-2.5")]
    public void Normalize_gives_one_spelling_per_value(string number, string expected) =>
        Assert.Equal(expected, NumericAnswer.Normalize(number));

    [Theory]
    [InlineData("abc")]
    [InlineData("1 2")]
    [InlineData("")]
    [InlineData("12abc")]
    public void Normalize_refuses_what_is_not_one_number(string text) => Assert.Null(NumericAnswer.Normalize(text));

    [Fact]
    public void Scores_compare_extracted_and_gold_by_value()
    {
        Assert.Equal(1.0, NumericAnswer.Score("48 + 24 = 72\n#### 72", "72", AnswerExtraction.Gsm8kMarker));
        Assert.Equal(1.0, NumericAnswer.Score("I first thought 70. Final answer: 72.00", "72", AnswerExtraction.LastNumber));
        Assert.Equal(0.0, NumericAnswer.Score("Final answer: 72", "72", AnswerExtraction.Gsm8kMarker));
        Assert.Equal(1.0, NumericAnswer.Score("Final answer: 72", "72", AnswerExtraction.Gsm8kMarkerThenLastNumber));
        // The marker wins over a later number.
        Assert.Equal(0.0, NumericAnswer.Score("#### 5\nthen 7", "7", AnswerExtraction.Gsm8kMarkerThenLastNumber));
        Assert.Equal(1.0, NumericAnswer.Score("#### 1,000", "1000.0", AnswerExtraction.Gsm8kMarker));
        Assert.Throws<ArgumentException>(() => NumericAnswer.Score("42", "forty-two"));
    }

    [Fact]
    public void All_numbers_come_in_order()
    {
        Assert.Equal(["3", "-4", "5.25"], NumericAnswer.AllNumbers("a 3, b -4 and c 5.250."));
    }
}
