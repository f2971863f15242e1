namespace PrefLab.Text;

/// <summary>
/// A tokenizer as Hugging Face's <c>tokenizers</c> defines one: <see cref="Encode"/> with special tokens
/// behaves like <c>tokenizer(text)["input_ids"]</c> (the post-processor's BOS/EOS added), without them like
/// <c>tokenizer(text, add_special_tokens=False)</c>. Implementations load from a <c>tokenizer.json</c>.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids, including added tokens (the embedding must have at least this many rows).</summary>
    int VocabSize { get; }

    int? BosId { get; }
    int? EosId { get; }
    /// <summary>The padding id; distinct from <see cref="EosId"/> where the tokenizer has a pad token.</summary>
    int? PadId { get; }
    int? UnkId { get; }

    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true);

    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    /// <summary>The id of a token string (vocabulary or added token), or null.</summary>
    int? TokenToId(string token);

    /// <summary>The token string of an id, or null when out of range.</summary>
    string? IdToToken(int id);

    /// <summary>True for ids of special added tokens (BOS, EOS, PAD, chat markers).</summary>
    bool IsSpecial(int id);
}
