using PrefLab.Text;
using Xunit;

namespace PrefLab.Tests.Text;

/// <summary>Small hand-written tokenizer.json files whose ids are worked out by hand: byte fallback, fused unk,
/// Metaspace prepend schemes, ignore_merges, added-token flags, Unicode normal forms, decoders.</summary>
public class SyntheticTokenizerTests
{
    // A SentencePiece-style BPE: "▁ a" -> ▁a, "a b" -> ab, "▁a b" -> ▁ab; € only as bytes; no 'd' at all.
    static string SentencePieceJson(string prependScheme = "first", bool ignoreMerges = false) => """
    {
      "added_tokens": [
        {"id": 0, "content": "<unk>", "special": true, "normalized": false},
        {"id": 1, "content": "<s>", "special": true, "normalized": false},
        {"id": 2, "content": "</s>", "special": true, "normalized": false}
      ],
      "normalizer": null,
      "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "PREPEND_SCHEME", "split": true},
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
      "decoder": {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
      "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true, "ignore_merges": IGNORE_MERGES,
        "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0xE2>": 3, "<0x82>": 4, "<0xAC>": 5, "▁": 6, "a": 7, "b": 8,
                  "▁a": 9, "ab": 10, "▁ab": 11, "c": 12, "▁c": 13},
        "merges": ["▁ a", "a b", ["▁a", "b"]]}
    }
    """.Replace("PREPEND_SCHEME", prependScheme).Replace("IGNORE_MERGES", ignoreMerges ? "true" : "false");

    static HfTokenizer Parse(string json, string? config = null) => TokenizerLoader.Parse(json, "synthetic/tokenizer.json", config, "synthetic/tokenizer_config.json");

    [Fact]
    public void Bpe_merges_by_rank_falls_back_to_bytes_and_fuses_unknown_chars()
    {
        var t = Parse(SentencePieceJson());
        // "▁ab" merges ▁+a (rank 0) then ▁a+b (rank 2); € is three byte tokens; 'd' has no byte token: one <unk>
        Assert.Equal([1, 11, 6, 12, 3, 4, 5, 6, 0], t.Encode("ab c€ d"));
        Assert.Equal([6, 0], t.Encode(" dd", addSpecialTokens: false)); // "▁dd": ▁, then one unk for both d's
        Assert.Equal([11, 6, 0], t.Encode("ab dd", addSpecialTokens: false));
    }

    [Fact]
    public void Ignore_merges_takes_a_whole_word_from_the_vocabulary()
    {
        // no merge makes "▁c" out of ▁ and c, but with ignore_merges the vocabulary entry is used as is
        Assert.Equal([6, 12], Parse(SentencePieceJson()).Encode("c", addSpecialTokens: false));
        Assert.Equal([13], Parse(SentencePieceJson(ignoreMerges: true)).Encode("c", addSpecialTokens: false));
    }

    [Fact]
    public void Metaspace_prepend_scheme_first_skips_text_after_a_leading_special_token()
    {
        Assert.Equal([1, 10], Parse(SentencePieceJson("first")).Encode("<s>ab", addSpecialTokens: false));
        Assert.Equal([1, 11], Parse(SentencePieceJson("always")).Encode("<s>ab", addSpecialTokens: false));
        Assert.Equal([10], Parse(SentencePieceJson("never")).Encode("ab", addSpecialTokens: false));
    }

    [Fact]
    public void Sentencepiece_decoder_sequence_restores_spaces_and_bytes()
    {
        var t = Parse(SentencePieceJson());
        var ids = t.Encode("ab c€");
        Assert.Equal("<s> ab c€", t.Decode(ids));
        Assert.Equal("ab c€", t.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("\uFFFD\uFFFD", t.Decode([3, 4], skipSpecialTokens: true)); // an incomplete UTF-8 sequence
    }

    [Fact]
    public void Offsets_point_into_the_input_text_including_prepended_and_byte_tokens()
    {
        var t = Parse(SentencePieceJson());
        var encoded = t.EncodeWithOffsets("ab c€");
        Assert.Equal([1, 11, 6, 12, 3, 4, 5], encoded.Ids);
        // BOS (0,0); "▁ab" <- "ab"; "▁" <- the space; "c"; each byte of € <- the €
        Assert.Equal([(0, 0), (0, 2), (2, 3), (3, 4), (4, 5), (4, 5), (4, 5)], encoded.Offsets);
    }

    // WordLevel over the Whitespace pre-tokenizer (\w+|[^\w\s]+), with added tokens of every flag.
    const string AddedTokensJson = """
    {
      "added_tokens": [
        {"id": 10, "content": "cat", "special": false, "single_word": true, "normalized": false},
        {"id": 11, "content": "hello", "special": false, "normalized": true},
        {"id": 12, "content": "WORLD", "special": false, "normalized": false},
        {"id": 13, "content": "<mask>", "special": true, "lstrip": true, "rstrip": true, "normalized": false}
      ],
      "normalizer": {"type": "Lowercase"},
      "pre_tokenizer": {"type": "Whitespace"},
      "post_processor": null,
      "decoder": null,
      "model": {"type": "WordLevel", "unk_token": "<unk>",
        "vocab": {"<unk>": 0, "concat": 1, "cats": 2, ".": 3, "world": 4, "con": 5, "s": 6, "x": 7}}
    }
    """;

    [Fact]
    public void Single_word_added_token_matches_only_a_whole_word()
    {
        var t = Parse(AddedTokensJson);
        Assert.Equal([10, 1, 2, 10, 3], t.Encode("cat concat cats cat."));
    }

    [Fact]
    public void Normalized_added_tokens_match_after_the_normalizer_and_others_before_it()
    {
        var t = Parse(AddedTokensJson);
        // "HELLO" lowercases to the added token "hello"; "WORLD" is matched raw; "World" lowercases to the word
        Assert.Equal([11, 12, 4], t.Encode("HELLO WORLD World"));
    }

    [Fact]
    public void Lstrip_and_rstrip_tokens_absorb_the_whitespace_beside_them()
    {
        var t = Parse(AddedTokensJson);
        var e = t.EncodeWithOffsets("x  <mask>   x");
        Assert.Equal([7, 13, 7], e.Ids);
        Assert.Equal((1, 12), e.Offsets[1]);
        Assert.Equal("x <mask> x", t.Decode(e.Ids));
        Assert.Equal("x x", t.Decode(e.Ids, skipSpecialTokens: true));
    }

    static string WordLevelWithNormalizer(string normalizer, string vocab) => """
    {
      "added_tokens": [], "normalizer": NORMALIZER, "pre_tokenizer": {"type": "WhitespaceSplit"},
      "post_processor": null, "decoder": null,
      "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": VOCAB}
    }
    """.Replace("NORMALIZER", normalizer).Replace("VOCAB", vocab);

    [Fact]
    public void Nfkc_normalizer_composes_and_folds_compatibility_characters()
    {
        var t = Parse(WordLevelWithNormalizer("""{"type": "NFKC"}""",
            """{"<unk>": 0, "fi": 1, "1⁄2": 2, "é": 3, "Å": 4, "한": 5, "A": 6}"""));
        // ﬁ ligature, ½, e + combining acute, the Ångström sign, Hangul jamo L V T, fullwidth A
        Assert.Equal([1, 2, 3, 4, 5, 6], t.Encode("\uFB01 \u00BD e\u0301 \u212B \u1112\u1161\u11AB \uFF21"));
    }

    [Fact]
    public void Nfd_and_nfc_normalizers_decompose_and_compose()
    {
        var nfd = Parse(WordLevelWithNormalizer("""{"type": "NFD"}""",
            """{"<unk>": 0, "e\u0301": 1, "A\u030A": 2, "\u1112\u1161\u11AB": 3, "a\u0323\u0307": 4}"""));
        // é, Å, the syllable 한, and canonical reordering of two marks (dot below, class 220, before dot above, 230)
        Assert.Equal([1, 2, 3, 4], nfd.Encode("\u00E9 \u00C5 \uD55C a\u0307\u0323"));
        var nfc = Parse(WordLevelWithNormalizer("""{"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}]}""",
            """{"<unk>": 0, "\u00E9": 1, "\u1EA1\u0307": 2}"""));
        Assert.Equal([1, 2], nfc.Encode("E\u0301 a\u0307\u0323"));
    }

    [Fact]
    public void Digits_and_split_pre_tokenizers_follow_their_behaviors()
    {
        var t = Parse("""
        {
          "added_tokens": [], "normalizer": null, "post_processor": null, "decoder": null,
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"String": "-"}, "behavior": "Removed", "invert": false},
            {"type": "Digits", "individual_digits": true}]},
          "model": {"type": "WordLevel", "unk_token": "<unk>",
            "vocab": {"<unk>": 0, "1": 1, "2": 2, "3": 3, "ab": 4, "c": 5}}
        }
        """);
        Assert.Equal([4, 1, 2, 5, 3], t.Encode("ab12-c3"));
    }

    [Fact]
    public void Wordlevel_without_decoder_joins_tokens_with_spaces()
    {
        var t = TokenizerFixtures.Load("world");
        var ids = t.Encode("what is  the\ncapital ?");
        Assert.Equal("what is the capital ?", t.Decode(ids));
        Assert.Equal("<|user|> hello </s>", t.Decode(t.Encode("<|user|>hello</s>")));
        Assert.Equal("hello", t.Decode(t.Encode("<|user|>hello</s>"), skipSpecialTokens: true));
    }

    [Fact]
    public void Roberta_and_sequence_post_processors_wrap_the_sequence()
    {
        const string json = """
        {"added_tokens": [{"id": 0, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true}],
         "pre_tokenizer": {"type": "WhitespaceSplit"},
         "post_processor": {"type": "Sequence", "processors": [
           {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
           {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": true, "add_prefix_space": false}]},
         "model": {"type": "WordLevel", "unk_token": "x", "vocab": {"<s>": 0, "x": 1, "</s>": 2, "hi": 3}}}
        """;
        var t = Parse(json);
        Assert.Equal([0, 3, 1, 2], t.Encode("hi there"));
        Assert.Equal([3, 1], t.Encode("hi there", addSpecialTokens: false));
        Assert.Equal([0], t.SpecialPrefixIds);
        Assert.Equal([2], t.SpecialSuffixIds);
    }
}
