using PrefLab.Runtime;
using PrefLab.Text;
using Xunit;

namespace PrefLab.Tests.Text;

/// <summary>Loading folders: config forms, special-token ids, and clear errors naming the file.</summary>
public class TokenizerLoaderTests
{
    const string TinyWordLevel = """
    {
      "added_tokens": [
        {"id": 0, "content": "<pad>", "special": true}, {"id": 1, "content": "<unk>", "special": true},
        {"id": 2, "content": "<s>", "special": true}, {"id": 3, "content": "</s>", "special": true}
      ],
      "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
      "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"<pad>": 0, "<unk>": 1, "<s>": 2, "</s>": 3, "hi": 4}}
    }
    """;

    static string Folder(TempDir dir, string tokenizerJson, string? config = null, string? map = null)
    {
        File.WriteAllText(dir.File("tokenizer.json"), tokenizerJson);
        if (config is not null) File.WriteAllText(dir.File("tokenizer_config.json"), config);
        if (map is not null) File.WriteAllText(dir.File("special_tokens_map.json"), map);
        return dir.Path;
    }

    static UserError LoadFails(string folder) => Assert.Throws<UserError>(() => TokenizerLoader.Load(folder));

    [Fact]
    public void World_like_tokenizer_has_distinct_pad_and_eos_and_adds_no_bos()
    {
        var t = TokenizerFixtures.Load("world");
        Assert.Equal("WordLevel", t.ModelType);
        Assert.Equal((0, 2, 3, 1), (t.PadId, t.BosId, t.EosId, t.UnkId));
        Assert.Equal(51, t.VocabSize);
        Assert.Empty(t.SpecialPrefixIds);
        Assert.Equal(t.Encode("hello world", addSpecialTokens: false), t.Encode("hello world"));
        Assert.True(t.IsSpecial(6));   // <|assistant|>
        Assert.False(t.IsSpecial(24)); // hello
        Assert.Equal(6, t.TokenToId("<|assistant|>"));
        Assert.Equal("<|assistant|>", t.IdToToken(6));
        Assert.Null(t.IdToToken(51));
        Assert.Null(t.TokenToId("nonexistent"));
        Assert.Equal(512, t.Config.ModelMaxLength);
        Assert.NotNull(t.Config.ChatTemplate);
    }

    [Fact]
    public void Real_configs_resolve_special_ids_and_leave_missing_ones_null()
    {
        var qwen = TokenizerFixtures.Load("qwen3");
        Assert.Null(qwen.BosId);
        Assert.Equal(151645, qwen.EosId);  // <|im_end|>
        Assert.Equal(151643, qwen.PadId);  // <|endoftext|>: distinct from EOS
        Assert.Null(qwen.UnkId);
        Assert.Equal(131072, qwen.Config.ModelMaxLength);
        var mistral = TokenizerFixtures.Load("mistral");
        Assert.Equal((1, 2, 0), (mistral.BosId, mistral.EosId, mistral.UnkId));
        Assert.Null(mistral.PadId);        // pad_token: null
        Assert.Null(mistral.Config.ModelMaxLength); // 1e30 means unlimited
        Assert.Equal(true, mistral.Config.AddBosToken);
        Assert.Equal([1], mistral.SpecialPrefixIds);
        var gpt2 = TokenizerFixtures.Load("gpt2");
        Assert.Equal((50256, 50256), (gpt2.BosId, gpt2.EosId));
        Assert.True(gpt2.Config.CleanUpTokenizationSpaces);
    }

    [Fact]
    public void Added_token_objects_special_tokens_map_and_template_lists_are_read()
    {
        using var dir = new TempDir();
        string folder = Folder(dir, TinyWordLevel, """
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
             "eos_token": "<s>", "pad_token": null, "model_max_length": 1000000000000000019884624838656,
             "chat_template": [{"name": "tool_use", "template": "x"}, {"name": "default", "template": "{{ '<|user|>' }}"}]}
            """, """{"eos_token": {"content": "</s>"}, "pad_token": "<pad>"}""");
        var t = TokenizerLoader.Load(folder);
        Assert.Equal(2, t.BosId);
        Assert.Equal(3, t.EosId);    // special_tokens_map.json wins, as in transformers
        Assert.Equal(0, t.PadId);
        Assert.Null(t.Config.ModelMaxLength);
        Assert.Equal("{{ '<|user|>' }}", t.Config.ChatTemplate);
        Assert.Equal(folder, t.Source);
    }

    [Fact]
    public void Llama_tokenizer_classes_take_bos_and_eos_from_the_config_flags()
    {
        using var dir = new TempDir();
        string folder = Folder(dir, TinyWordLevel, """
            {"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true, "add_eos_token": true}
            """);
        Assert.Equal([2, 4, 3], TokenizerLoader.Load(folder).Encode("hi"));
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": true, "bos_token": "<s>"}""");
        Assert.Equal([4], TokenizerLoader.Load(folder).Encode("hi")); // other classes follow tokenizer.json
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"tokenizer_class": "LlamaTokenizerFast", "add_bos_token": true}""");
        var e = LoadFails(folder);
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains("bos_token", e.Message);
    }

    [Fact]
    public void Missing_folder_missing_file_and_corrupt_json_name_the_path()
    {
        using var dir = new TempDir();
        Assert.Contains("no such folder", LoadFails(dir.File("absent")).Message);
        var missing = LoadFails(dir.Path);
        Assert.Contains(Path.Combine(dir.Path, "tokenizer.json"), missing.Message);
        Assert.Contains("not found", missing.Message);

        Folder(dir, TinyWordLevel[..200]);
        var truncated = LoadFails(dir.Path);
        Assert.Contains("tokenizer.json", truncated.Message);
        Assert.Contains("not valid JSON", truncated.Message);

        Folder(dir, TinyWordLevel, "{\"bos_token\": ");
        var badConfig = LoadFails(dir.Path);
        Assert.Contains("tokenizer_config.json", badConfig.Message);
    }

    [Theory]
    [InlineData("\"normalizer\": null", "\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}", "Precompiled", "normalizer")]
    [InlineData("\"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}", "\"pre_tokenizer\": {\"type\": \"UnicodeScripts\"}", "UnicodeScripts", "pre_tokenizer")]
    [InlineData("\"decoder\": null", "\"decoder\": {\"type\": \"CTC\"}", "CTC", "decoder")]
    [InlineData("\"post_processor\": null", "\"post_processor\": {\"type\": \"Mystery\"}", "Mystery", "post_processor")]
    [InlineData("\"type\": \"WordLevel\"", "\"type\": \"Unigram\"", "Unigram", "model")]
    public void Unsupported_component_types_are_errors_naming_type_field_and_file(string from, string to, string type, string field)
    {
        using var dir = new TempDir();
        Folder(dir, TinyWordLevel.Replace(from, to));
        var e = LoadFails(dir.Path);
        Assert.Contains($"'{type}'", e.Message);
        Assert.Contains($"'{field}", e.Message);
        Assert.Contains(Path.Combine(dir.Path, "tokenizer.json"), e.Message);
    }

    [Fact]
    public void Malformed_model_fields_are_errors_naming_the_field()
    {
        using var dir = new TempDir();
        Folder(dir, TinyWordLevel.Replace("\"hi\": 4", "\"hi\": \"four\""));
        Assert.Contains("model.vocab.hi", LoadFails(dir.Path).Message);

        const string bpe = """
        {"added_tokens": [], "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", MERGE]}}
        """;
        Folder(dir, bpe.Replace("MERGE", "\"a c\""));
        var e = LoadFails(dir.Path);
        Assert.Contains("model.merges[1]", e.Message);
        Assert.Contains("not in model.vocab", e.Message);
        Folder(dir, bpe.Replace("MERGE", "\"abc\""));
        Assert.Contains("model.merges[1]", LoadFails(dir.Path).Message);
        Folder(dir, bpe.Replace("MERGE", "[\"b\", \"a\"]"));
        Assert.Contains("ba", LoadFails(dir.Path).Message); // merged token missing
        Folder(dir, bpe.Replace("\"merges\": [\"a b\", MERGE]", "\"merges\": [[\"a\", \"b\"]]"));
        Assert.Equal([2], TokenizerLoader.Load(dir.Path).Encode("ab"));
    }
}
