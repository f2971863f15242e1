using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Generation;
using PrefLab.Models;
using PrefLab.Tests.Text;
using PrefLab.Text.Chat;
using PrefLab.Text;
using Xunit;
using static PrefLab.Tests.Cli.CliAppTests;

namespace PrefLab.Tests.Generation;

/// <summary>A tiny-test model on the World tokenizer, made once with <c>preflab init-model</c>.</summary>
public sealed class TinyModelFolder : IDisposable
{
    readonly TempDir dir = new();

    public TinyModelFolder()
    {
        Path = dir.File("model");
        var init = Run("init-model", "--preset", "tiny-test", "--tokenizer", TokenizerFixtures.Folder("world"), "--output", Path, "--seed", "3");
        if (init.Exit != 0) throw new InvalidOperationException(init.Err);
    }

    public string Path { get; }

    public void Dispose() => dir.Dispose();
}

/// <summary><c>preflab generate</c> end to end: the rows equal the library's output for the same prompt ids and
/// options (chat rendering by default, plain text with --raw), files of prompts in order, stop strings, errors
/// that name the option.</summary>
public class GenerateCommandTests(TinyModelFolder model) : SingleThreadedTests, IClassFixture<TinyModelFolder>
{
    const string Question = "what is the capital of france ?";

    static List<JsonObject> Rows(string jsonl) =>
        jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    static int[] Ints(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<int>()).ToArray();

    GenerationResult Library(int[] promptIds, GenerationOptions options)
    {
        using var causalLM = CausalLM.Load(model.Path);
        var tokenizer = TokenizerLoader.Load(model.Path);
        return TextGenerator.For(causalLM, tokenizer).Generate(new[] { promptIds }, options);
    }

    static int[] ChatPrompt(string folder, string text)
    {
        var tokenizer = TokenizerLoader.Load(folder);
        return new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null)).Prompt(new[] { Message.User(text) });
    }

    [Fact]
    public void A_prompt_is_rendered_as_a_chat_and_the_row_matches_the_library()
    {
        var (exit, output, error) = Run("generate", "--model", model.Path, "--prompt", Question, "--max-new-tokens", "6",
            "--temperature", "0.7", "--seed", "3", "--logprobs");
        Assert.True(exit == 0, error);
        var row = Assert.Single(Rows(output));
        var expected = Library(ChatPrompt(model.Path, Question), new GenerationOptions { MaxNewTokens = 6, Temperature = 0.7, Seed = 3 })[0];
        Assert.Equal(Question, row["prompt"]!.GetValue<string>());
        Assert.Equal(expected.TokenIds, Ints(row["tokens"]));
        Assert.Equal(expected.Text, row["response"]!.GetValue<string>());
        Assert.Equal(expected.FinishReason.Name(), row["finish_reason"]!.GetValue<string>());
        Assert.Equal(expected.LogProbs, row["logprobs"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray());
        // Without --logprobs the field is absent.
        var plain = Rows(Run("generate", "--model", model.Path, "--prompt", Question, "--max-new-tokens", "6", "--temperature", "0.7", "--seed", "3").Out);
        Assert.False(plain[0].ContainsKey("logprobs"));
        Assert.Equal(expected.TokenIds, Ints(plain[0]["tokens"]));
    }

    [Fact]
    public void Raw_tokenizes_the_text_as_is()
    {
        var (exit, output, error) = Run("generate", "--model", model.Path, "--prompt", Question, "--raw", "--temperature", "0", "--max-new-tokens", "5");
        Assert.True(exit == 0, error);
        var rawIds = TokenizerLoader.Load(model.Path).Encode(Question).ToArray();
        Assert.NotEqual(rawIds, ChatPrompt(model.Path, Question)); // the two prompts differ
        var expected = Library(rawIds, GenerationOptions.Greedy(5))[0];
        Assert.Equal(expected.TokenIds, Ints(Rows(output)[0]["tokens"]));
    }

    [Fact]
    public void A_prompts_file_gives_one_row_per_prompt_in_order_whatever_the_batch_size()
    {
        using var dir = new TempDir();
        string prompts = dir.File("prompts.jsonl");
        File.WriteAllText(prompts, string.Join("\n",
            "{\"prompt\": \"hello world\"}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"what is 2 + 2 ?\"}, {\"role\": \"assistant\", \"content\": \"4 .\"}, {\"role\": \"user\", \"content\": \"and the sky ?\"}]}",
            "{\"prompt\": \"name a color please , you are a helpful assistant\"}",
            "{\"prompt\": \"yes\"}") + "\n");
        string output = dir.File("out.jsonl");
        var first = Run("generate", "--model", model.Path, "--prompts", prompts, "--batch-size", "3", "--max-new-tokens", "7", "--seed", "5", "--output", output);
        Assert.True(first.Exit == 0, first.Err);
        Assert.Contains("4 responses", first.Out);
        var rows = Rows(File.ReadAllText(output));
        Assert.Equal(4, rows.Count);
        Assert.Equal("hello world", rows[0]["prompt"]!.GetValue<string>());
        Assert.Equal("and the sky ?", rows[1]["prompt"]!.AsArray()[2]!["content"]!.GetValue<string>());
        Assert.Equal("yes", rows[3]["prompt"]!.GetValue<string>());
        var oneByOne = Rows(Run("generate", "--model", model.Path, "--prompts", prompts, "--batch-size", "1", "--max-new-tokens", "7", "--seed", "5").Out);
        for (int i = 0; i < 4; i++) Assert.Equal(Ints(rows[i]["tokens"]), Ints(oneByOne[i]["tokens"]));
        // Another seed draws other tokens.
        var reseeded = Rows(Run("generate", "--model", model.Path, "--prompts", prompts, "--max-new-tokens", "7", "--seed", "6").Out);
        Assert.Contains(Enumerable.Range(0, 4), i => !Ints(rows[i]["tokens"]).SequenceEqual(Ints(reseeded[i]["tokens"])));
    }

    [Fact]
    public void A_stop_string_cuts_the_response_and_is_named()
    {
        string[] args = { "generate", "--model", model.Path, "--prompt", Question, "--max-new-tokens", "12", "--seed", "1" };
        var free = Rows(Run(args).Out)[0];
        string text = free["response"]!.GetValue<string>();
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words.Length >= 3, text);
        string stop = words[2];
        var stopped = Rows(Run(args.Concat(new[] { "--stop", "zzz", "--stop", stop }).ToArray()).Out)[0];
        Assert.Equal("stop", stopped["finish_reason"]!.GetValue<string>());
        Assert.Equal(stop, stopped["stop_string"]!.GetValue<string>());
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped["response"]!.GetValue<string>());
        var tokens = Ints(stopped["tokens"]);
        Assert.Equal(Ints(free["tokens"])[..tokens.Length], tokens);
        Assert.True(tokens.Length < 12);
    }

    [Theory]
    [InlineData("--prompt", new string[0])]
    [InlineData("--prompt", new[] { "--prompt", "hi", "--prompts", "x.jsonl" })]
    [InlineData("--prompts", new[] { "--prompts", "/nonexistent/prompts.jsonl" })]
    [InlineData("--temperature", new[] { "--prompt", "hi", "--temperature", "-1" })]
    [InlineData("--top-p", new[] { "--prompt", "hi", "--temperature", "0", "--top-p", "0.9" })]
    [InlineData("--min-new-tokens", new[] { "--prompt", "hi", "--max-new-tokens", "2", "--min-new-tokens", "3" })]
    [InlineData("--chat-format", new[] { "--prompt", "hi", "--raw", "--chat-format", "chatml" })]
    [InlineData("--chat-format", new[] { "--prompt", "hi", "--chat-format", "nonsense" })]
    public void Mistakes_are_one_line_naming_the_option(string option, string[] args)
    {
        var (exit, _, error) = Run(new[] { "generate", "--model", model.Path }.Concat(args).ToArray());
        Assert.Equal(2, exit);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(option, error);
    }

    [Fact]
    public void A_missing_model_folder_names_the_option()
    {
        var (exit, _, error) = Run("generate", "--model", "/nonexistent/model", "--prompt", "hi");
        Assert.Equal(2, exit);
        Assert.Contains("--model", error);
    }
}
