using System.Text.Json.Nodes;
using PrefLab.Cli;
using Xunit;

namespace PrefLab.Tests.Cli;

public class CliAppTests
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = CliApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Bad_option_value_is_one_line_naming_the_option_and_exit_2()
    {
        var (exit, _, err) = Run("info", "--threads", "zero");
        Assert.Equal(2, exit);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("--threads", lines[0]);
        Assert.Contains("zero", lines[0]);
    }

    [Fact]
    public void Unknown_option_and_unknown_command_exit_2()
    {
        Assert.Equal(2, Run("info", "--bogus").Exit);
        Assert.Equal(2, Run("frobnicate").Exit);
    }

    [Fact]
    public void Help_and_version_exit_0()
    {
        var help = Run("--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("preflab", help.Out);
        Assert.Contains("info", help.Out);
        var version = Run("--version");
        Assert.Equal(0, version.Exit);
        Assert.StartsWith("0.", version.Out.Trim());
    }

    [Fact]
    public void Info_reports_threads_cpu_and_measured_matmul_rates()
    {
        var one = Run("info", "--json", "--trials", "1", "--threads", "1");
        Assert.Equal(0, one.Exit);
        var json = JsonNode.Parse(one.Out)!;
        Assert.Equal(1, json["threads"]!.GetValue<int>());
        Assert.True(json["fp32_gflops"]!.GetValue<double>() > 0);
        Assert.True(json["bf16_gflops"]!.GetValue<double>() > 0);
        Assert.False(string.IsNullOrEmpty(json["cpu"]!.GetValue<string>()));
        Assert.StartsWith("2.", json["libtorch"]!.GetValue<string>());
        var two = JsonNode.Parse(Run("info", "--json", "--trials", "1", "--threads", "2").Out)!;
        Assert.Equal(2, two["threads"]!.GetValue<int>());
    }

    [Fact]
    public void Config_file_supplies_options_and_the_command_line_wins()
    {
        using var dir = new TempDir();
        string yaml = dir.File("c.yaml");
        File.WriteAllText(yaml, "threads: 1\ntrials: 1\njson: true\n");
        var fromFile = Run("info", "--config", yaml);
        Assert.Equal(0, fromFile.Exit);
        Assert.Equal(1, JsonNode.Parse(fromFile.Out)!["threads"]!.GetValue<int>());

        var overridden = Run("info", "--config", yaml, "--threads", "2");
        Assert.Equal(2, JsonNode.Parse(overridden.Out)!["threads"]!.GetValue<int>());

        string json = dir.File("c.json");
        File.WriteAllText(json, """{"trials": 1, "json": true, "threads": 2}""");
        Assert.Equal(2, JsonNode.Parse(Run("info", "--config", json).Out)!["threads"]!.GetValue<int>());
    }

    [Fact]
    public void Config_file_errors_name_the_file_and_key()
    {
        using var dir = new TempDir();
        string yaml = dir.File("c.yaml");
        File.WriteAllText(yaml, "trials: 1\nlearning-rate: 3\n");
        var (exit, _, err) = Run("info", "--config", yaml);
        Assert.Equal(2, exit);
        Assert.Contains(yaml, err);
        Assert.Contains("learning-rate", err);
        Assert.Contains("preflab info", err);

        File.WriteAllText(yaml, "threads: zero\n");
        var bad = Run("info", "--config", yaml);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--threads", bad.Err);

        var missing = Run("info", "--config", dir.File("nope.yaml"));
        Assert.Equal(2, missing.Exit);
        Assert.Contains("nope.yaml", missing.Err);
    }
}

public class ResolvedOptionsTests
{
    [Fact]
    public void Resolved_options_merge_command_line_config_and_defaults()
    {
        using var dir = new TempDir();
        string yaml = dir.File("c.yaml");
        File.WriteAllText(yaml, "trials: 4\nthreads: 1\n");
        var root = CliApp.BuildRoot();
        var args = ConfigFile.Merge(new[] { "info", "--config", yaml, "--threads", "2" }, yaml,
            root.Parse(new[] { "info" }).CommandResult.Command);
        var resolved = ResolvedOptions.Of(root.Parse(args));
        Assert.Equal(4, resolved["trials"]);
        Assert.Equal(2, resolved["threads"]);
        Assert.Equal(false, resolved["json"]);
        Assert.Equal(false, resolved["verbose"]);
        Assert.Equal(yaml, resolved["config"]);
    }
}
