using PrefLab.Evaluation.Scorers;
using Xunit;

namespace PrefLab.Tests.Evaluation;

public class ExactMatchTests
{
    [Theory]
    [InlineData(" Paris ", "paris", true)]
    [InlineData("Paris.", "Paris", false)]
    [InlineData("New   York\n", "new york", true)]
    [InlineData("42.0", "42", true)]
    [InlineData("1,000", "1000", true)]
    [InlineData("Lyon", "Paris", false)]
    public void Default_ignores_case_spacing_and_number_spelling(string prediction, string reference, bool expected) =>
        Assert.Equal(expected, ExactMatch.Matches(prediction, reference));

    [Theory]
    [InlineData("The Paris!", "paris", true)]
    [InlineData("an apple, a pear", "apple pear", true)]
    [InlineData("Theatre", "atre", false)]
    public void Squad_also_drops_punctuation_and_articles(string prediction, string reference, bool expected) =>
        Assert.Equal(expected, ExactMatch.Matches(prediction, reference, ExactMatchOptions.Squad));

    [Theory]
    [InlineData("Paris", "paris")]
    [InlineData("42.0", "42")]
    [InlineData("Paris ", "Paris")]
    public void Strict_compares_characters(string prediction, string reference) =>
        Assert.False(ExactMatch.Matches(prediction, reference, ExactMatchOptions.Strict));

    [Fact]
    public void Normalize_shows_the_compared_text()
    {
        Assert.Equal("the cat sat", ExactMatch.Normalize("  The   CAT sat "));
        Assert.Equal("cat sat", ExactMatch.Normalize("The cat, sat.", ExactMatchOptions.Squad));
        Assert.Equal("-3.5", ExactMatch.Normalize(" -3.50 "));
    }

    [Fact]
    public void Score_is_one_when_any_reference_matches()
    {
        Assert.Equal(1.0, ExactMatch.Score("NYC", ["New York", "nyc"]));
        Assert.Equal(0.0, ExactMatch.Score("LA", ["New York", "nyc"]));
    }
}
