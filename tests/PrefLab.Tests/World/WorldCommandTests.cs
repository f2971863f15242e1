using System.Text.Json.Nodes;
using PrefLab.Tests.Cli;
using Xunit;

namespace PrefLab.Tests.World;

public class WorldCommandTests
{
    [Fact]
    public void World_generate_writes_a_world_replaces_a_previous_one_and_refuses_other_folders()
    {
        using var temp = new TempDir();
        string output = temp.File("w");
        var (exit, stdout, stderr) = CliAppTests.Run("world", "generate", "--output", output, "--scale", "small", "--seed", "3");
        Assert.True(exit == 0, stderr);
        Assert.Contains("seed 3", stdout);
        Assert.Contains("preferences/ultrafeedback.jsonl", stdout);
        Assert.Contains("gold agreement", stdout);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "world.json")))!;
        Assert.Equal(3, manifest["seed"]!.GetValue<long>());
        Assert.Equal("small", manifest["scale"]!.GetValue<string>());

        // A previous world is replaced as a whole (a stray file inside it goes too).
        File.WriteAllText(Path.Combine(output, "stray.txt"), "x");
        var again = CliAppTests.Run("world", "generate", "--output", output, "--scale", "small", "--seed", "4");
        Assert.True(again.Exit == 0, again.Err);
        Assert.False(File.Exists(Path.Combine(output, "stray.txt")));
        Assert.Equal(4, JsonNode.Parse(File.ReadAllText(Path.Combine(output, "world.json")))!["seed"]!.GetValue<long>());

        string other = temp.File("other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "notes.txt"), "mine");
        var refused = CliAppTests.Run("world", "generate", "--output", other, "--scale", "small");
        Assert.Equal(2, refused.Exit);
        Assert.Contains("--output", refused.Err);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(other, "notes.txt")));
        Assert.Single(Directory.EnumerateFileSystemEntries(other));

        Assert.Equal(2, CliAppTests.Run("world", "generate", "--output", temp.File("x"), "--scale", "huge").Exit);
        Assert.Equal(2, CliAppTests.Run("world", "generate", "--scale", "small").Exit);
    }
}
