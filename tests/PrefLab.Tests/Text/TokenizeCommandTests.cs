using System.Text.Json.Nodes;
using PrefLab.Tests.Cli;
using Xunit;

namespace PrefLab.Tests.Text;

/// <summary><c>preflab tokenize</c> through the in-process CLI.</summary>
public class TokenizeCommandTests
{
    static JsonObject Json(string stdout) => JsonNode.Parse(stdout)!.AsObject();

    [Fact]
    public void Text_adds_special_tokens_like_hf_unless_no_special()
    {
        string mistral = TokenizerFixtures.Folder("mistral");
        var (exit, stdout, stderr) = CliAppTests.Run("tokenize", "--model", mistral, "--text", "Hello world");
        Assert.True(exit == 0, stderr);
        var json = Json(stdout);
        Assert.Equal([1, 22557, 1526], TokenizerFixtures.Ints(json["ids"]));
        Assert.Equal("Hello world", json["text"]!.GetValue<string>());
        var plain = Json(CliAppTests.Run("tokenize", "--model", mistral, "--text", "Hello world", "--no-special").Out);
        Assert.Equal([22557, 1526], TokenizerFixtures.Ints(plain["ids"]));
    }

    [Fact]
    public void Chat_renders_with_the_folders_format_and_prints_text_ids_and_mask()
    {
        using var dir = new TempDir();
        string messages = dir.File("chat.json");
        File.WriteAllText(messages, """[{"role": "user", "content": "what is 2 + 2 ?"}, {"role": "assistant", "content": "4"}]""");
        var (exit, stdout, stderr) = CliAppTests.Run("tokenize", "--model", TokenizerFixtures.Folder("world"), "--chat", messages, "--add-generation-prompt");
        Assert.True(exit == 0, stderr);
        var json = Json(stdout);
        Assert.Equal("<|user|>\nwhat is 2 + 2 ?\n<|assistant|>\n4</s>\n<|assistant|>\n", json["text"]!.GetValue<string>());
        Assert.Equal([5, 11, 9, 25, 26, 25, 22, 6, 28, 3, 6], TokenizerFixtures.Ints(json["ids"]));
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0], TokenizerFixtures.Ints(json["assistant_mask"]));
        Assert.Equal("tulu", json["format"]!.GetValue<string>());
        Assert.Contains("<|user|>", stdout); // printed readably, not as \u003C escapes

        // a folder without a chat template needs --chat-format; {"messages": [...]} is accepted too
        File.WriteAllText(messages, """{"messages": [{"role": "user", "content": "Hi"}]}""");
        string gpt2 = TokenizerFixtures.Folder("gpt2");
        var missing = CliAppTests.Run("tokenize", "--model", gpt2, "--chat", messages);
        Assert.Equal(2, missing.Exit);
        Assert.Contains("--chat-format", missing.Err);
        var named = Json(CliAppTests.Run("tokenize", "--model", gpt2, "--chat", messages, "--chat-format", "chatml").Out);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n", named["text"]!.GetValue<string>());
    }

    [Fact]
    public void Errors_name_the_option_or_the_file()
    {
        using var dir = new TempDir();
        string world = TokenizerFixtures.Folder("world");
        var both = CliAppTests.Run("tokenize", "--model", world, "--text", "a", "--chat", "x.json");
        Assert.Equal(2, both.Exit);
        Assert.Contains("--text", both.Err);
        Assert.Equal(2, CliAppTests.Run("tokenize", "--model", world).Exit);
        var noFolder = CliAppTests.Run("tokenize", "--model", dir.File("nope"), "--text", "a");
        Assert.Equal(2, noFolder.Exit);
        Assert.Contains("nope", noFolder.Err);
        string bad = dir.File("bad.json");
        File.WriteAllText(bad, """[{"role": "robot", "content": "x"}]""");
        var badRole = CliAppTests.Run("tokenize", "--model", world, "--chat", bad);
        Assert.Equal(2, badRole.Exit);
        Assert.Contains("bad.json", badRole.Err);
        Assert.Contains("robot", badRole.Err);
        File.WriteAllText(bad, "[{");
        Assert.Contains("bad.json", CliAppTests.Run("tokenize", "--model", world, "--chat", bad).Err);
        var format = CliAppTests.Run("tokenize", "--model", world, "--chat", bad, "--chat-format", "vicuna");
        Assert.Equal(2, format.Exit);
        var genWithText = CliAppTests.Run("tokenize", "--model", world, "--text", "a", "--add-generation-prompt");
        Assert.Contains("--add-generation-prompt", genWithText.Err);
    }
}
