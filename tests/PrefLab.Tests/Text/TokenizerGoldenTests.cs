using System.Text.Json.Nodes;
using Xunit;

namespace PrefLab.Tests.Text;

/// <summary>Ids and decodes of real tokenizer files against transformers.js (goldens/encode.json).</summary>
public class TokenizerGoldenTests
{
    public static TheoryData<string> Tokenizers => new() { "gpt2", "qwen3", "mistral", "mistral-metaspace", "world", "llama3-style" };

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void Encode_matches_transformers_js_with_and_without_special_tokens(string name)
    {
        var tokenizer = TokenizerFixtures.Load(name);
        var failures = new List<string>();
        foreach (var golden in Cases(name))
        {
            string text = golden["text"]!.GetValue<string>();
            var expected = TokenizerFixtures.Ints(golden["ids"]);
            var actual = tokenizer.Encode(text).ToArray();
            if (!expected.SequenceEqual(actual))
                failures.Add($"{Show(text)}\n  expected {string.Join(",", expected)}\n  actual   {string.Join(",", actual)}");
            var plainExpected = TokenizerFixtures.Ints(golden["ids_no_special"]);
            var plain = tokenizer.Encode(text, addSpecialTokens: false).ToArray();
            if (!plainExpected.SequenceEqual(plain))
                failures.Add($"(no special) {Show(text)}\n  expected {string.Join(",", plainExpected)}\n  actual   {string.Join(",", plain)}");
        }
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} mismatches\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void Decode_matches_transformers_js_and_inverts_encode_where_it_does(string name)
    {
        var tokenizer = TokenizerFixtures.Load(name);
        var failures = new List<string>();
        int roundTrips = 0;
        foreach (var golden in Cases(name))
        {
            string text = golden["text"]!.GetValue<string>();
            var ids = TokenizerFixtures.Ints(golden["ids"]);
            string decoded = tokenizer.Decode(ids);
            string skipped = tokenizer.Decode(ids, skipSpecialTokens: true);
            if (decoded != golden["decoded"]!.GetValue<string>())
                failures.Add($"decode {Show(text)}: expected {Show(golden["decoded"]!.GetValue<string>())}, got {Show(decoded)}");
            if (skipped != golden["decoded_skip_special"]!.GetValue<string>())
                failures.Add($"decode(skip) {Show(text)}: expected {Show(golden["decoded_skip_special"]!.GetValue<string>())}, got {Show(skipped)}");
            var plain = tokenizer.Encode(text, addSpecialTokens: false);
            if (golden["decoded"]!.GetValue<string>() == text)
            {
                roundTrips++;
                if (tokenizer.Decode(plain) != text) failures.Add($"round trip {Show(text)}: got {Show(tokenizer.Decode(plain))}");
            }
        }
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} mismatches\n" + string.Join("\n", failures));
        if (name is "gpt2" or "qwen3") Assert.True(roundTrips >= 20, $"{name}: only {roundTrips} round-trip cases");
    }

    static IEnumerable<JsonObject> Cases(string name) =>
        TokenizerFixtures.Goldens("encode.json")[name]!.AsArray().Select(x => x!.AsObject());

    static string Show(string s) => JsonValue.Create(s).ToJsonString();
}

public class TokenizerConcurrencyTests
{
    [Theory]
    [InlineData("gpt2")]
    [InlineData("mistral")]
    public void Parallel_encoding_gives_the_sequential_ids(string name)
    {
        var tokenizer = TokenizerFixtures.Load(name);
        var texts = TokenizerFixtures.Goldens("encode.json")[name]!.AsArray()
            .Select(c => c!["text"]!.GetValue<string>()).ToArray();
        var inputs = Enumerable.Range(0, 400).Select(i => texts[i % texts.Length] + " #" + i).ToArray();
        var sequential = inputs.Select(t => tokenizer.Encode(t).ToArray()).ToArray();
        var parallel = new int[inputs.Length][];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = tokenizer.Encode(inputs[i]).ToArray());
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(sequential[i], parallel[i]);
    }
}
