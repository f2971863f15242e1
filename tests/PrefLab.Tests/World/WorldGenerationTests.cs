using System.Text.Json.Nodes;
using PrefLab.Runtime;
using PrefLab.World;
using PrefLab.World.Scoring;
using Xunit;

namespace PrefLab.Tests.World;

[Collection("SmallWorld")]
public class WorldGenerationTests(SmallWorldFixture world)
{
    static Dictionary<string, byte[]> ReadAll(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(directory, f).Replace('\\', '/'), File.ReadAllBytes);

    [Fact]
    public void Same_seed_gives_identical_bytes_and_a_different_seed_a_different_world()
    {
        using var temp = new TempDir();
        string again = Path.Combine(temp.Path, "again"), other = Path.Combine(temp.Path, "other");
        WorldGenerator.Generate(again, SmallWorldFixture.Seed, WorldScale.Small);
        WorldGenerator.Generate(other, SmallWorldFixture.Seed + 1, WorldScale.Small);

        var first = ReadAll(world.Directory);
        var second = ReadAll(again);
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        Assert.Equal(24, first.Count);
        foreach (var (name, bytes) in first)
            Assert.True(bytes.AsSpan().SequenceEqual(second[name]), $"{name} differs between two runs with the same seed");

        var third = ReadAll(other);
        Assert.Equal(first.Keys.Order(), third.Keys.Order());
        // The tokenizer is the same language; everything drawn from the seed differs.
        Assert.Equal(first["tokenizer/tokenizer.json"], third["tokenizer/tokenizer.json"]);
        foreach (string name in first.Keys.Where(n => !n.StartsWith("tokenizer/", StringComparison.Ordinal)))
            Assert.False(first[name].AsSpan().SequenceEqual(third[name]), $"{name} is the same for seeds 1 and 2");
        var kb1 = WorldInstance.Create(1, WorldScale.Small).Knowledge;
        var kb2 = WorldInstance.Create(2, WorldScale.Small).Knowledge;
        Assert.NotEqual(kb1.Fingerprint(), kb2.Fingerprint());
    }

    [Fact]
    public void Files_are_jsonl_with_unix_line_ends_and_the_folder_has_exactly_the_layout()
    {
        var files = ReadAll(world.Directory).Keys.Order().ToList();
        string[] expected =
        [
            "eval/coding.jsonl", "eval/factuality.jsonl", "eval/helpfulness.jsonl", "eval/instruction.jsonl",
            "eval/reasoning.jsonl", "eval/safety.jsonl", "eval/truthfulness.jsonl",
            "preferences/arena.jsonl", "preferences/helpsteer.jsonl", "preferences/hh.jsonl", "preferences/nectar.jsonl",
            "preferences/pairwise.jsonl", "preferences/shp.jsonl", "preferences/ultrafeedback.jsonl",
            "pretrain-heldout.jsonl", "pretrain.jsonl", "prompts/mixed.jsonl", "prompts/reasoning.jsonl", "prompts/safety.jsonl", "sft.jsonl",
            "tokenizer/special_tokens_map.json", "tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json", "world.json",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), files.Order(StringComparer.Ordinal));
        foreach (string file in files.Where(f => f.EndsWith(".jsonl", StringComparison.Ordinal)))
        {
            string text = File.ReadAllText(world.PathOf(file));
            Assert.DoesNotContain('\r', text);
            Assert.EndsWith("\n", text);
            foreach (string line in text.TrimEnd('\n').Split('\n'))
                Assert.IsType<JsonObject>(JsonNode.Parse(line));
        }
    }

    /// <summary>Independent of the generator's own check: a plain substring search, token-bounded.</summary>
    static string? FindLeak(IReadOnlyCollection<string> evalPrompts, string text)
    {
        string padded = " " + text + " ";
        foreach (string prompt in evalPrompts)
            if (padded.Contains(" " + prompt + " ", StringComparison.Ordinal)) return prompt;
        return null;
    }

    [Fact]
    public void No_eval_prompt_occurs_in_any_training_file()
    {
        var evalPrompts = EmittedTexts.EvalFiles.SelectMany(f => world.Rows(f)).Select(r => r["prompt"]!.GetValue<string>()).ToList();
        Assert.Equal(7 * 40, evalPrompts.Count);
        Assert.Equal(evalPrompts.Count, evalPrompts.Distinct().Count());
        // Index by first word to keep the scan fast.
        var byFirst = evalPrompts.GroupBy(p => p.Split(' ')[0]).ToDictionary(g => g.Key, g => (IReadOnlyCollection<string>)g.ToList());
        int texts = 0;
        foreach (string file in EmittedTexts.TrainingFiles)
        {
            foreach (var row in world.Rows(file))
            {
                foreach (string text in EmittedTexts.Of(file, row))
                {
                    texts++;
                    foreach (string word in text.Split(' ').Distinct())
                        if (byFirst.TryGetValue(word, out var candidates) && FindLeak(candidates, text) is string leak)
                            Assert.Fail($"eval prompt '{leak}' occurs in {file}: '{text}'");
                }
            }
        }
        Assert.True(texts > 5000);
        // Negative control: the same search finds a planted leak.
        Assert.NotNull(FindLeak(evalPrompts, "ok . " + evalPrompts[17] + " thanks ."));
    }

    [Fact]
    public void Every_emitted_text_uses_only_vocabulary_words()
    {
        var vocab = JsonNode.Parse(File.ReadAllText(world.PathOf("tokenizer/tokenizer.json")))!["model"]!["vocab"]!.AsObject()
            .Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var specials = new HashSet<string> { "<pad>", "<unk>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>" };
        int tokens = 0;
        foreach (string file in EmittedTexts.TrainingFiles.Concat(EmittedTexts.EvalFiles))
        {
            foreach (var row in world.Rows(file))
            {
                foreach (string text in EmittedTexts.Of(file, row))
                {
                    Assert.False(string.IsNullOrEmpty(text), $"empty text in {file}");
                    Assert.Equal(text.Trim(), text);
                    Assert.DoesNotContain("  ", text);
                    foreach (string token in text.Split(' '))
                    {
                        tokens++;
                        Assert.True(vocab.Contains(token), $"'{token}' in {file} is not in the vocabulary: '{text}'");
                        Assert.False(specials.Contains(token), $"special token '{token}' inside the text of {file}");
                        Assert.Equal(token.ToLowerInvariant(), token);
                    }
                }
            }
        }
        Assert.True(tokens > 100_000);
    }

    [Fact]
    public void Tokenizer_is_valid_hugging_face_word_level_with_the_tulu_template()
    {
        var tokenizer = JsonNode.Parse(File.ReadAllText(world.PathOf("tokenizer/tokenizer.json")))!;
        Assert.Equal("1.0", tokenizer["version"]!.GetValue<string>());
        foreach (string nullField in new[] { "truncation", "padding", "normalizer", "post_processor", "decoder" })
        {
            Assert.True(tokenizer.AsObject().ContainsKey(nullField), nullField);
            Assert.Null(tokenizer[nullField]);
        }
        Assert.Equal("WhitespaceSplit", tokenizer["pre_tokenizer"]!["type"]!.GetValue<string>());
        var model = tokenizer["model"]!;
        Assert.Equal("WordLevel", model["type"]!.GetValue<string>());
        Assert.Equal("<unk>", model["unk_token"]!.GetValue<string>());
        var vocab = model["vocab"]!.AsObject().Select(p => (Token: p.Key, Id: p.Value!.GetValue<int>())).ToList();
        Assert.Equal(Enumerable.Range(0, vocab.Count), vocab.Select(v => v.Id).Order());
        Assert.InRange(vocab.Count, 300, 800);
        string[] specials = ["<pad>", "<unk>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"];
        var added = tokenizer["added_tokens"]!.AsArray();
        Assert.Equal(specials.Length, added.Count);
        for (int id = 0; id < specials.Length; id++)
        {
            Assert.Equal(id, added[id]!["id"]!.GetValue<int>());
            Assert.Equal(specials[id], added[id]!["content"]!.GetValue<string>());
            Assert.True(added[id]!["special"]!.GetValue<bool>());
            foreach (string flag in new[] { "normalized", "lstrip", "rstrip", "single_word" })
                Assert.False(added[id]![flag]!.GetValue<bool>());
            Assert.Equal(id, vocab.Single(v => v.Token == specials[id]).Id);
        }
        var words = vocab.OrderBy(v => v.Id).Skip(specials.Length).Select(v => v.Token).ToList();
        Assert.Equal(words.Order(StringComparer.Ordinal), words);
        foreach (string digit in "0123456789".Select(c => c.ToString())) Assert.Contains(digit, words);
        Assert.All(words, w => Assert.DoesNotContain(' ', w));

        var config = JsonNode.Parse(File.ReadAllText(world.PathOf("tokenizer/tokenizer_config.json")))!;
        Assert.Equal("<s>", config["bos_token"]!.GetValue<string>());
        Assert.Equal("</s>", config["eos_token"]!.GetValue<string>());
        Assert.Equal("<pad>", config["pad_token"]!.GetValue<string>());
        Assert.Equal("<unk>", config["unk_token"]!.GetValue<string>());
        Assert.False(config["add_bos_token"]!.GetValue<bool>());
        Assert.False(config["add_eos_token"]!.GetValue<bool>());
        Assert.Equal(256, config["model_max_length"]!.GetValue<int>());
        Assert.Equal("PreTrainedTokenizerFast", config["tokenizer_class"]!.GetValue<string>());
        Assert.Equal(
            "{% for message in messages %}\n{% if message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] }}\n{% elif message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
            config["chat_template"]!.GetValue<string>());
        var map = JsonNode.Parse(File.ReadAllText(world.PathOf("tokenizer/special_tokens_map.json")))!;
        Assert.Equal("</s>", map["eos_token"]!.GetValue<string>());
        Assert.Equal("<pad>", map["pad_token"]!.GetValue<string>());
    }

    [Fact]
    public void Manifest_counts_match_the_files()
    {
        var manifest = world.Manifest;
        Assert.Equal(SmallWorldFixture.Seed, manifest["seed"]!.GetValue<long>());
        Assert.Equal("small", manifest["scale"]!.GetValue<string>());
        int vocabulary = JsonNode.Parse(File.ReadAllText(world.PathOf("tokenizer/tokenizer.json")))!["model"]!["vocab"]!.AsObject().Count;
        Assert.Equal(vocabulary, manifest["vocabulary_size"]!.GetValue<int>());
        var files = manifest["files"]!.AsObject();
        Assert.Equal(EmittedTexts.TrainingFiles.Count + 7, files.Count);
        foreach (var (name, entry) in files)
        {
            var rows = world.Rows(name);
            Assert.Equal(rows.Count, entry!["rows"]!.GetValue<int>());
            if (entry["categories"] is JsonObject categories)
            {
                foreach (var (category, count) in categories)
                    Assert.Equal(rows.Count(r => r["category"]!.GetValue<string>() == category), count!.GetValue<int>());
                Assert.Equal(rows.Count, categories.Sum(c => c.Value!.GetValue<int>()));
            }
        }
        // Coverage differs by design: hh has no maths, helpsteer no safety, ultrafeedback no red-teaming.
        var datasets = manifest["datasets"]!.AsObject();
        Assert.Equal(7, datasets.Count);
        Assert.Null(datasets["hh"]!["categories"]!["reasoning"]);
        Assert.Null(datasets["helpsteer"]!["categories"]!["safety"]);
        Assert.Null(datasets["ultrafeedback"]!["categories"]!["safety"]);
        Assert.Equal(40, files["eval/reasoning.jsonl"]!["rows"]!.GetValue<int>());
        // Held-out pretraining documents: 2% of the corpus (at least 100), drawn from a stream of their own.
        Assert.Equal(PrefLab.World.Datasets.PretrainCorpus.HeldOutDocuments(files["pretrain.jsonl"]!["rows"]!.GetValue<int>()),
            files["pretrain-heldout.jsonl"]!["rows"]!.GetValue<int>());
        Assert.NotEqual(world.Rows("pretrain.jsonl")[0]!.ToJsonString(), world.Rows("pretrain-heldout.jsonl")[0]!.ToJsonString());
    }

    [Fact]
    public void Load_checks_the_fingerprint_and_the_judge_knows_every_emitted_prompt()
    {
        var judge = world.Instance.Judge;
        foreach (string file in EmittedTexts.TrainingFiles.Where(f => !f.StartsWith("pretrain", StringComparison.Ordinal)).Concat(EmittedTexts.EvalFiles))
            foreach (var row in world.Rows(file))
                Assert.True(judge.Knows(EmittedTexts.PromptOf(file, row)), $"{file}: the judge does not know '{EmittedTexts.PromptOf(file, row)}'");
        Assert.Throws<UnknownPromptException>(() => judge.Score("how many moons does tom have ?", "2 ."));

        using var temp = new TempDir();
        Assert.Throws<UserError>(() => WorldInstance.Load(temp.Path));
        string manifest = File.ReadAllText(world.PathOf("world.json"));
        File.WriteAllText(temp.File("world.json"), manifest.Replace("\"seed\": 1,", "\"seed\": 2,"));
        var error = Assert.Throws<UserError>(() => WorldInstance.Load(temp.Path));
        Assert.Contains("fingerprint", error.Message);
    }

    [Fact]
    public void Sft_demonstrations_are_good_but_imperfect_in_every_category()
    {
        var judge = world.Instance.Judge;
        var byCategory = world.Rows("sft.jsonl")
            .Select(r => (Category: r["category"]!.GetValue<string>(),
                Score: judge.Score(r["messages"]![0]!["content"]!.GetValue<string>(), r["messages"]![1]!["content"]!.GetValue<string>()).Overall))
            .GroupBy(x => x.Category).ToDictionary(g => g.Key, g => g.Select(x => x.Score).ToList());
        Assert.Equal(7, byCategory.Count);
        // Good: most demonstrations score well, and every category has fully right ones to imitate (instruction's
        // are the rarest: the demonstrator keeps each constraint only half the time, a habit preference learning can
        // remove). Imperfect: every category has demonstrations well below 1, so there is headroom.
        string stats = string.Join("; ", byCategory.Select(p =>
            $"{p.Key}: mean {p.Value.Average():F3}, fully right {(double)p.Value.Count(s => s == 1.0) / p.Value.Count:F3}"));
        foreach (var (category, scores) in byCategory)
        {
            Assert.True(scores.Count(s => s == 1.0) > scores.Count / 20, $"{category}: too few fully right demonstrations ({stats})");
            Assert.True(scores.Average() > 0.5, $"{category}: the demonstrations are mostly poor ({stats})");
            Assert.True(scores.Any(s => s < 0.9), $"{category}: no imperfect demonstration, so no headroom");
        }
        double mean = byCategory.Values.SelectMany(s => s).Average();
        Assert.True(mean is >= 0.65 and <= 0.95, $"mean {mean:F3} ({stats})");
    }
}
