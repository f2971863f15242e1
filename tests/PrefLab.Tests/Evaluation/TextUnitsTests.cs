using PrefLab.Evaluation.IfEval;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class TextUnitsTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("   \n ", 0)]
    [InlineData("Hello world", 1)]
    [InlineData("Hello. World", 2)]
    [InlineData("Mr. Smith went to Washington. He arrived at 3 p.m. today.", 2)]
    [InlineData("Wait... What?", 2)]
    [InlineData("Wait... and then it ended.", 1)]
    [InlineData("He said \"Stop.\" Then he left.", 2)]
    [InlineData("The U.S. economy grew.", 1)]
    [InlineData("Line one\nLine two", 1)]
    [InlineData("Pi is 3.14 roughly.", 1)]
    [InlineData("I love it!!! Really? Yes", 3)]
    [InlineData("See e.g. the book by J. Smith.", 1)]
    [InlineData("It ended (finally). Next one.", 2)]
    public void Sentences_are_counted_like_punkt_on_ordinary_prose(string text, int sentences) =>
        Assert.Equal(sentences, TextUnits.CountSentences(text));

    [Fact]
    public void Sentences_split_where_they_end()
    {
        Assert.Equal(["Dr. Who came.", "He saw!", "Then left"], TextUnits.SplitSentences("Dr. Who came.  He saw!\nThen left"));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("don't stop", 3)]
    [InlineData("state-of-the-art, 2024", 5)]
    [InlineData("snake_case word", 2)]
    public void Words_are_runs_of_word_characters(string text, int words) => Assert.Equal(words, TextUnits.CountWords(text));

    [Fact]
    public void Word_tokens_split_clitics_and_punctuation_like_word_tokenize()
    {
        Assert.Equal(["I", "'M", "NOT", "SURE", "DO", "N'T", "ASK"], TextUnits.WordTokens("I'M NOT SURE, DON'T ASK."));
        Assert.Equal(["Hello-World", "TEST", "CAN", "NOT"], TextUnits.WordTokens("Hello-World (TEST) CANNOT"));
    }

    [Theory]
    [InlineData("HELLO 123!", true, false)]
    [InlineData("hello, \u00DF", false, true)]
    [InlineData("123", false, false)]
    [InlineData("\u01C5", false, false)]
    [InlineData("Hello", false, false)]
    public void Case_predicates_follow_python(string text, bool upper, bool lower)
    {
        Assert.Equal(upper, TextUnits.IsUpper(text));
        Assert.Equal(lower, TextUnits.IsLower(text));
    }

    [Theory]
    [InlineData("Plain English text", true)]
    [InlineData("Café crème brûlée", true)]
    [InlineData("Привет, как дела?", false)]
    [InlineData("12345 !!", true)]
    public void Latin_script_stands_in_for_english(string text, bool latin) => Assert.Equal(latin, TextUnits.IsMostlyLatin(text));
}
