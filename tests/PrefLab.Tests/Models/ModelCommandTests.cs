using System.Text.Json.Nodes;
using PrefLab.Models;
using Xunit;
using static PrefLab.Tests.Cli.CliAppTests;
using static PrefLab.Tests.Models.ModelFixtures;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

public class ModelCommandTests
{
    static string Tokenizer(TempDir dir)
    {
        string folder = Path.Combine(dir.Path, "tok");
        Directory.CreateDirectory(folder);
        var vocab = new JsonObject();
        for (int i = 0; i < 20; i++) vocab["w" + i] = i + 3;
        var json = new JsonObject
        {
            ["added_tokens"] = new JsonArray(
                new JsonObject { ["id"] = 0, ["content"] = "<pad>", ["special"] = true },
                new JsonObject { ["id"] = 1, ["content"] = "<s>", ["special"] = true },
                new JsonObject { ["id"] = 2, ["content"] = "</s>", ["special"] = true }),
            ["model"] = new JsonObject { ["type"] = "WordLevel", ["vocab"] = vocab, ["unk_token"] = "<pad>" },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"bos_token":"<s>","eos_token":"</s>","pad_token":"<pad>"}""");
        return folder;
    }

    [Fact]
    public void Init_model_writes_a_hugging_face_folder_that_logits_reads()
    {
        using var dir = new TempDir();
        string output = Path.Combine(dir.Path, "model");
        var init = Run("init-model", "--preset", "tiny-test", "--tokenizer", Tokenizer(dir), "--output", output, "--seed", "5");
        Assert.True(init.Exit == 0, init.Err);
        Assert.Contains("4,688 non-embedding", init.Out);
        foreach (string file in new[] { "config.json", "model.safetensors", "generation_config.json", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!;
        Assert.Equal(23, config["vocab_size"]!.GetValue<int>());
        Assert.Equal((1, 2, 0), (config["bos_token_id"]!.GetValue<int>(), config["eos_token_id"]!.GetValue<int>(), config["pad_token_id"]!.GetValue<int>()));

        var logits = Run("logits", "--model", output, "--ids", "1,5, 7");
        Assert.True(logits.Exit == 0, logits.Err);
        var json = JsonNode.Parse(logits.Out)!;
        Assert.Equal(new long[] { 1, 5, 7 }, json["ids"]!.AsArray().Select(x => x!.GetValue<long>()));
        var rows = json["logits"]!.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<float>()).ToArray()).ToArray();
        Assert.Equal(3, rows.Length);
        Assert.All(rows, r => Assert.Equal(23, r.Length));
        using var model = CausalLM.Load(output);
        using var noGrad = no_grad();
        Assert.Equal(0.0, MaxAbsDiff(model.forward(Ids(1, 5, 7)).squeeze(0), ToTensor(rows)));

        var again = Run("init-model", "--preset", "tiny-test", "--tokenizer", Tokenizer(dir), "--output", output);
        Assert.Equal(2, again.Exit);
        Assert.Contains("--output", again.Err);
    }

    [Fact]
    public void Logits_reads_a_folder_without_tokenizer_files_and_matches_the_reference()
    {
        var expected = Expected("llama")[0];
        var result = Run("logits", "--model", Folder("llama"), "--ids", string.Join(",", expected.Ids));
        Assert.True(result.Exit == 0, result.Err);
        var rows = JsonNode.Parse(result.Out)!["logits"]!.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<float>()).ToArray()).ToArray();
        Assert.True(MaxAbsDiff(ToTensor(rows), ToTensor(expected.Logits)) <= 1e-4);
    }

    [Fact]
    public void Logits_in_bf16_are_close_to_fp32_and_say_when_bf16_is_emulated()
    {
        var fp32 = Run("logits", "--model", Folder("llama"), "--ids", "3,17,5");
        var bf16 = Run("logits", "--model", Folder("llama"), "--ids", "3,17,5", "--dtype", "bf16");
        Assert.True(bf16.Exit == 0, bf16.Err);
        float[][] Rows(string json) => JsonNode.Parse(json)!["logits"]!.AsArray().Select(r => r!.AsArray().Select(x => x!.GetValue<float>()).ToArray()).ToArray();
        double diff = MaxAbsDiff(ToTensor(Rows(fp32.Out)), ToTensor(Rows(bf16.Out)));
        Assert.InRange(diff, 1e-5, 0.25);
        Assert.Equal(!PrefLab.Runtime.MachineInfo.Read().HasAvx512Bf16, bf16.Err.Contains("emulated"));
    }

    [Theory]
    [InlineData("1,x,3", "'x'")]
    [InlineData("1,-2", "'-2'")]
    [InlineData("1,48", "48")]
    [InlineData("", "at least one")]
    public void Bad_ids_are_one_line_naming_the_option(string ids, string what)
    {
        var (exit, _, err) = Run("logits", "--model", Folder("llama"), "--ids", ids);
        Assert.Equal(2, exit);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("--ids", lines[0]);
        Assert.Contains(what, lines[0]);
    }

    [Fact]
    public void Unknown_preset_dtype_and_missing_folders_are_user_errors()
    {
        using var dir = new TempDir();
        var preset = Run("init-model", "--preset", "giant", "--tokenizer", Tokenizer(dir), "--output", Path.Combine(dir.Path, "m"));
        Assert.Equal(2, preset.Exit);
        Assert.Contains("--preset", preset.Err);
        var dtype = Run("logits", "--model", Folder("llama"), "--ids", "1", "--dtype", "fp8");
        Assert.Equal(2, dtype.Exit);
        Assert.Contains("--dtype", dtype.Err);
        var missing = Run("logits", "--model", Path.Combine(dir.Path, "none"), "--ids", "1");
        Assert.Equal(2, missing.Exit);
        Assert.Contains("none", missing.Err);
        var tokenizer = Run("init-model", "--preset", "tiny-test", "--tokenizer", dir.Path, "--output", Path.Combine(dir.Path, "m"));
        Assert.Equal(2, tokenizer.Exit);
        Assert.Contains("--tokenizer", tokenizer.Err);
    }
}
