using PrefLab.Runtime;
using PrefLab.Runtime.Options;
using Xunit;

namespace PrefLab.Tests.Runtime;

/// <summary>How the library reads a command's options from texts (the lab's path; the CLI's parser feeds the same values).</summary>
public class OptionValuesTests
{
    enum Shape { Round, Square }

    static readonly OptionSpec<string> Output = new("output", "out") { Required = true };
    static readonly OptionSpec<double> Lr = new("lr", "rate") { Default = () => 0.5 };
    static readonly OptionSpec<long?> MaxSteps = new("max-steps", "steps");
    static readonly OptionSpec<bool> Resume = new("resume", "resume");
    static readonly OptionSpec<string[]> Models = new("reward-model", "models");
    static readonly OptionSpec<Shape> Form = new("shape", "shape") { Default = () => Shape.Round };
    static readonly OptionSpec<int> Doubled = new("doubled", "custom") { Parser = text => 2 * int.Parse(text), Default = () => 0 };
    static readonly IReadOnlyList<OptionSpec> Specs = [Output, Lr, MaxSteps, Resume, Models, Form, Doubled];

    static OptionValues Read(params string[] tokens) => OptionValues.FromTokens(Specs, tokens, "node x");

    [Fact]
    public void Values_given_override_defaults_and_the_rest_keep_them()
    {
        var values = Read("--output", "o", "--lr", "1e-3", "--shape", "SQUARE", "--doubled", "4");
        Assert.Equal("o", values.Get(Output));
        Assert.Equal(1e-3, values.Get(Lr));
        Assert.Null(values.Get(MaxSteps));
        Assert.False(values.Get(Resume));
        Assert.Equal(Shape.Square, values.Get(Form));
        Assert.Equal(8, values.Get(Doubled));
        Assert.True(values.IsGiven(Lr));
        Assert.False(values.IsGiven(MaxSteps));
        var recorded = values.Recorded();
        Assert.Equal(Specs.Select(s => s.Name).Order(), recorded.Keys.Order());
        Assert.Equal(false, recorded["resume"]);
        Assert.Null(recorded["max-steps"]);
        Assert.Equal(1e-3, recorded["lr"]);
    }

    [Fact]
    public void A_switch_is_given_alone_or_with_true_or_false_and_a_list_by_repetition()
    {
        Assert.True(Read("--output", "o", "--resume").Get(Resume));
        Assert.True(Read("--resume", "--output", "o").Get(Resume));
        Assert.False(Read("--resume", "false", "--output", "o").Get(Resume));
        Assert.Equal(["a", "b"], Read("--output", "o", "--reward-model", "a", "--reward-model", "b").Get(Models));
    }

    [Fact]
    public void Errors_name_the_option_and_where_it_came_from()
    {
        Assert.Contains("option --lr: 'fast' is not a number", Assert.Throws<UserError>(() => Read("--output", "o", "--lr", "fast")).Message);
        var unknown = Assert.Throws<UserError>(() => Read("--output", "o", "--bogus", "1")).Message;
        Assert.Contains("node x: unknown option --bogus", unknown);
        Assert.Contains("--lr", unknown);
        Assert.Contains("option --output: is given twice (node x)", Assert.Throws<UserError>(() => Read("--output", "o", "--output", "p")).Message);
        Assert.Contains("option --output: is required", Assert.Throws<UserError>(() => Read("--lr", "1")).Message);
        Assert.Contains("option --shape: 'hexagon' is not one of round, square", Assert.Throws<UserError>(() => Read("--output", "o", "--shape", "hexagon")).Message);
        Assert.Contains("option --max-steps: 'ten' is not a whole number", Assert.Throws<UserError>(() => Read("--output", "o", "--max-steps", "ten")).Message);
    }
}
