using PrefLab.Text.Tokenization;

namespace PrefLab.Text;

/// <summary>Token ids of a text with, for each, the chars [Start, End) of the text it came from (special
/// tokens added by the post-processor get (0, 0), as in Hugging Face).</summary>
public sealed record TokenizedText(int[] Ids, (int Start, int End)[] Offsets);

/// <summary>
/// A Hugging Face tokenizer loaded from <c>tokenizer.json</c> (see <see cref="TokenizerLoader"/>): added tokens,
/// normalizer, pre-tokenizer, model (BPE or WordLevel), post-processor and decoder as the file says, plus the
/// folder's <see cref="TokenizerConfig"/>. Encoding is thread-safe.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    readonly AddedVocabulary added;
    readonly INormalizer? normalizer;
    readonly IPreTokenizer? preTokenizer;
    readonly ITokenModel model;
    readonly SpecialTokenTemplate fileTemplate;
    readonly SpecialTokenTemplate template;
    readonly string tokenizerPath;
    readonly IDecoder? decoder;
    readonly string[] idToToken;
    readonly HashSet<int> specialIds;

    internal HfTokenizer(string source, string tokenizerPath, AddedVocabulary added, INormalizer? normalizer, IPreTokenizer? preTokenizer,
        ITokenModel model, SpecialTokenTemplate fileTemplate, SpecialTokenTemplate template, IDecoder? decoder, TokenizerConfig config, string modelType)
    {
        Source = source;
        this.tokenizerPath = tokenizerPath;
        this.fileTemplate = fileTemplate;
        this.added = added;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.template = template;
        this.decoder = decoder;
        Config = config;
        ModelType = modelType;

        int size = Math.Max(model.Vocab.Count == 0 ? 0 : model.Vocab.Values.Max() + 1, added.All.Select(t => t.Id + 1).DefaultIfEmpty(0).Max());
        idToToken = new string[size];
        foreach (var (token, id) in model.Vocab) idToToken[id] = token;
        foreach (var t in added.All) idToToken[t.Id] = t.Content;
        VocabSize = size;

        BosId = Resolve(config.BosToken);
        EosId = Resolve(config.EosToken);
        PadId = Resolve(config.PadToken);
        UnkId = Resolve(config.UnkToken);
        specialIds = added.All.Where(t => t.Special).Select(t => t.Id).ToHashSet();
        foreach (var token in new[] { config.BosToken, config.EosToken, config.PadToken, config.UnkToken }.Concat(config.AdditionalSpecialTokens))
            if (Resolve(token) is int id) specialIds.Add(id);
    }

    /// <summary>Where the tokenizer came from (its folder), for messages.</summary>
    public string Source { get; }
    public TokenizerConfig Config { get; }
    /// <summary>"BPE" or "WordLevel".</summary>
    public string ModelType { get; }

    public int VocabSize { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    public int? PadId { get; }
    public int? UnkId { get; }

    /// <summary>The ids <see cref="Encode"/> puts before / after the text when adding special tokens.</summary>
    public IReadOnlyList<int> SpecialPrefixIds => template.Prefix;
    public IReadOnlyList<int> SpecialSuffixIds => template.Suffix;

    /// <summary>The same tokenizer.json with another tokenizer_config (special tokens, BOS/EOS flags, chat
    /// template); the vocabulary and merges are shared, not reloaded.</summary>
    public HfTokenizer WithConfig(TokenizerConfig config, string? source = null)
    {
        var applied = TokenizerLoader.ApplyBosEosFlags(fileTemplate, config, TokenToId, tokenizerPath, null);
        return new HfTokenizer(source ?? Source, tokenizerPath, added, normalizer, preTokenizer, model, fileTemplate, applied, decoder, config, ModelType);
    }

    int? Resolve(string? token) => token is null ? null : TokenToId(token);

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true) => EncodeWithOffsets(text, addSpecialTokens).Ids;

    public TokenizedText EncodeWithOffsets(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        var offsets = new List<(int, int)>();
        if (addSpecialTokens)
            foreach (int id in template.Prefix) { ids.Add(id); offsets.Add((0, 0)); }

        var words = new List<AlignedText>();
        var pieces = new List<ModelToken>();
        foreach (var (raw, rawToken) in added.SplitRaw(AlignedText.Original(text, 0, text.Length)))
        {
            if (rawToken is not null)
            {
                ids.Add(rawToken.Id);
                offsets.Add((raw.OriginStart, raw.OriginEnd));
                continue;
            }
            var normalized = normalizer?.Normalize(raw) ?? raw;
            if (normalized.Length == 0) continue;
            foreach (var (piece, token) in added.SplitNormalized(normalized))
            {
                if (token is not null)
                {
                    ids.Add(token.Id);
                    offsets.Add((piece.OriginStart, piece.OriginEnd));
                    continue;
                }
                words.Clear();
                if (preTokenizer is null) words.Add(piece);
                else preTokenizer.Split(piece, words);
                foreach (var word in words)
                {
                    pieces.Clear();
                    model.Tokenize(word.Text, pieces);
                    foreach (var t in pieces)
                    {
                        ids.Add(t.Id);
                        offsets.Add(word.OriginalRange(t.Start, t.End));
                    }
                }
            }
        }
        if (addSpecialTokens)
            foreach (int id in template.Suffix) { ids.Add(id); offsets.Add((0, 0)); }
        return new TokenizedText(ids.ToArray(), offsets.ToArray());
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && specialIds.Contains(id)) continue;
            if (IdToToken(id) is string token) tokens.Add(token);
        }
        string text = decoder is null ? string.Join(' ', tokens) : string.Concat(decoder.DecodeChain(tokens));
        return Config.CleanUpTokenizationSpaces ? Decoders.CleanUpTokenizationSpaces(text) : text;
    }

    public int? TokenToId(string token)
    {
        if (added.ByContent(token) is { } a) return a.Id;
        return model.Vocab.TryGetValue(token, out int id) ? id : null;
    }

    public string? IdToToken(int id) => id >= 0 && id < idToToken.Length ? idToToken[id] : null;

    public bool IsSpecial(int id) => specialIds.Contains(id);
}
