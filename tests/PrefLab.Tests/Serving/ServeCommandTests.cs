using Xunit;
using static PrefLab.Tests.Cli.CliAppTests;

namespace PrefLab.Tests.Serving;

/// <summary><c>preflab serve</c> refuses bad options with one line naming the option (exit 2), before loading anything.</summary>
[Collection("Serving")]
public class ServeCommandTests(ServingFixture serving)
{
    [Theory]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--host", "example.com", "--host")]
    [InlineData("--max-batch", "0", "--max-batch")]
    [InlineData("--max-tokens-limit", "0", "--max-tokens-limit")]
    [InlineData("--max-request-bytes", "10", "--max-request-bytes")]
    [InlineData("--api-key", "", "--api-key")]
    public void Bad_options_name_the_option(string option, string value, string named)
    {
        var (exit, _, error) = Run("serve", "--model", serving.PolicyFolder, option, value);
        Assert.Equal(2, exit);
        Assert.Contains(named, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_missing_folder_and_duplicate_names_name_model()
    {
        var (exit, _, error) = Run("serve", "--model", "/no/such/folder");
        Assert.Equal(2, exit);
        Assert.Contains("--model", error);
        (exit, _, error) = Run("serve", "--model", serving.PolicyFolder, "--model", serving.PolicyFolder);
        Assert.Equal(2, exit);
        Assert.Contains("--model", error);
    }

    [Fact]
    public void A_port_in_use_names_port()
    {
        int port = new Uri(serving.Server.Url).Port;
        var (exit, _, error) = Run("serve", "--model", serving.PolicyFolder, "--port", port.ToString());
        Assert.Equal(2, exit);
        Assert.Contains("--port", error);
    }
}
