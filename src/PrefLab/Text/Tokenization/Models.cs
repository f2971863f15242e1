using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrefLab.Text.Tokenization;

/// <summary>One token of a word: its id and the chars [Start, End) of the word it covers.</summary>
internal readonly record struct ModelToken(int Id, int Start, int End);

/// <summary>A tokenizer.json <c>model</c>: turns one pre-tokenized word into tokens.</summary>
internal interface ITokenModel
{
    void Tokenize(string word, List<ModelToken> output);
    IReadOnlyDictionary<string, int> Vocab { get; }
}

internal static class TokenModels
{
    /// <summary><paramref name="model"/> is tokenizer.json's "model" object; its large "vocab" and "merges"
    /// are read straight from the JSON document (a JsonNode tree of a 150k-entry vocabulary is slow to build).</summary>
    public static ITokenModel Parse(JsonElement model, JsonFields json)
    {
        const string field = "model";
        if (model.ValueKind != JsonValueKind.Object) throw json.Error(field, "missing or not an object");
        var meta = new JsonObject();
        foreach (var p in model.EnumerateObject())
            if (p.Name is not ("vocab" or "merges")) meta[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        bool hasMerges = model.TryGetProperty("merges", out var merges);
        // Older files omit "type" for BPE; Hugging Face then infers it from the fields.
        string type = meta["type"] is null && hasMerges ? "BPE" : json.TypeOf(meta, field);
        model.TryGetProperty("vocab", out var vocab);
        return type switch
        {
            "BPE" => BpeDefinition.Parse(meta, ParseVocab(vocab, json), ParseMerges(hasMerges ? merges : default, json), json).Build(),
            "WordLevel" => WordLevelModel.Parse(meta, ParseVocab(vocab, json), json),
            _ => throw json.Unsupported(field, type),
        };
    }

    static Dictionary<string, int> ParseVocab(JsonElement vocab, JsonFields json)
    {
        if (vocab.ValueKind != JsonValueKind.Object) throw json.Error("model.vocab", "missing or not an object of token: id");
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocab.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw json.Error($"model.vocab.{p.Name}", $"expected a token id (a whole number >= 0), found {p.Value.GetRawText()}");
            result[p.Name] = id;
        }
        return result;
    }

    static List<(string Left, string Right)> ParseMerges(JsonElement merges, JsonFields json)
    {
        if (merges.ValueKind != JsonValueKind.Array) throw json.Error("model.merges", "missing or not a list");
        var result = new List<(string, string)>(merges.GetArrayLength());
        int i = 0;
        foreach (var m in merges.EnumerateArray())
        {
            string field = $"model.merges[{i++}]";
            if (m.ValueKind == JsonValueKind.String)
            {
                // The "a b" form cannot hold a token with a space; files that need one use the list form.
                string line = m.GetString()!;
                int space = line.IndexOf(' ');
                if (space < 0 || line.IndexOf(' ', space + 1) >= 0) throw json.Error(field, $"expected \"LEFT RIGHT\", found \"{line}\"");
                result.Add((line[..space], line[(space + 1)..]));
            }
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 &&
                     m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                result.Add((m[0].GetString()!, m[1].GetString()!));
            else throw json.Error(field, $"expected \"LEFT RIGHT\" or [\"LEFT\", \"RIGHT\"], found {m.GetRawText()}");
        }
        return result;
    }
}

internal sealed class WordLevelModel(Dictionary<string, int> vocab, int? unkId, string? unkToken, string file) : ITokenModel
{
    public static WordLevelModel Parse(JsonObject obj, Dictionary<string, int> vocab, JsonFields json)
    {
        string? unk = json.OptionalString(obj, "unk_token", "model.unk_token");
        int? unkId = unk is not null && vocab.TryGetValue(unk, out int id) ? id : null;
        return new WordLevelModel(vocab, unkId, unk, json.Path);
    }

    public IReadOnlyDictionary<string, int> Vocab => vocab;

    public void Tokenize(string word, List<ModelToken> output)
    {
        if (vocab.TryGetValue(word, out int id)) output.Add(new ModelToken(id, 0, word.Length));
        else if (unkId is int unk) output.Add(new ModelToken(unk, 0, word.Length));
        else throw new Runtime.UserError($"{file}: the word \"{word}\" is not in the WordLevel vocabulary and unk_token " +
            (unkToken is null ? "is not set" : $"'{unkToken}' is not in the vocabulary"));
    }
}

/// <summary>Tokens of recently seen words (BPE is the costly step; text repeats words). Bounded: cleared when full.</summary>
internal sealed class WordCache
{
    const int Limit = 100_000;
    const int MaxWordLength = 256;
    readonly ConcurrentDictionary<string, ModelToken[]> entries = new(StringComparer.Ordinal);

    public bool TryGet(string word, List<ModelToken> output)
    {
        if (!entries.TryGetValue(word, out var tokens)) return false;
        output.AddRange(tokens);
        return true;
    }

    public void Add(string word, ModelToken[] tokens)
    {
        if (word.Length > MaxWordLength) return;
        if (entries.Count >= Limit) entries.Clear();
        entries[word] = tokens;
    }
}

/// <summary>What a BPE model in tokenizer.json says, before choosing who does the merging.</summary>
internal sealed class BpeDefinition
{
    public required Dictionary<string, int> Vocab { get; init; }
    public required List<(string Left, string Right)> Merges { get; init; }
    public string? UnkToken { get; init; }
    public bool FuseUnk { get; init; }
    public bool ByteFallback { get; init; }
    public bool IgnoreMerges { get; init; }
    public string ContinuingSubwordPrefix { get; init; } = "";
    public string EndOfWordSuffix { get; init; } = "";
    public required string File { get; init; }

    public static BpeDefinition Parse(JsonObject obj, Dictionary<string, int> vocab, List<(string Left, string Right)> merges, JsonFields json)
    {
        if (obj["dropout"] is JsonValue d && d.TryGetValue(out double dropout) && dropout > 0)
            throw json.Error("model.dropout", $"BPE dropout ({dropout}) is a training-time augmentation PrefLab does not apply; set it to null");
        return new BpeDefinition
        {
            Vocab = vocab,
            Merges = merges,
            UnkToken = json.OptionalString(obj, "unk_token", "model.unk_token"),
            FuseUnk = json.Bool(obj, "fuse_unk", false, "model.fuse_unk"),
            ByteFallback = json.Bool(obj, "byte_fallback", false, "model.byte_fallback"),
            IgnoreMerges = json.Bool(obj, "ignore_merges", false, "model.ignore_merges"),
            ContinuingSubwordPrefix = json.OptionalString(obj, "continuing_subword_prefix", "model.continuing_subword_prefix") ?? "",
            EndOfWordSuffix = json.OptionalString(obj, "end_of_word_suffix", "model.end_of_word_suffix") ?? "",
            File = json.Path,
        };
    }

    /// <summary>Merges as (left id, right id) -> (rank, merged id); a merge naming a token missing from the
    /// vocabulary is an error naming the merge, as in Hugging Face.</summary>
    public Dictionary<long, (int Rank, int NewId)> ResolveMerges()
    {
        var result = new Dictionary<long, (int, int)>(Merges.Count);
        for (int rank = 0; rank < Merges.Count; rank++)
        {
            var (left, right) = Merges[rank];
            string merged = left + (ContinuingSubwordPrefix.Length > 0 && right.StartsWith(ContinuingSubwordPrefix, StringComparison.Ordinal)
                ? right[ContinuingSubwordPrefix.Length..] : right);
            if (!Vocab.TryGetValue(left, out int a) || !Vocab.TryGetValue(right, out int b))
                throw new Runtime.UserError($"{File}: field 'model.merges[{rank}]': \"{left} {right}\" uses a token that is not in model.vocab");
            if (!Vocab.TryGetValue(merged, out int id))
                throw new Runtime.UserError($"{File}: field 'model.merges[{rank}]': the merged token \"{merged}\" is not in model.vocab");
            result[BpeModel.Key(a, b)] = (rank, id); // a repeated pair keeps its last rank, as Hugging Face's map does
        }
        return result;
    }

    /// <summary>Byte-level vocabularies (every byte char a token, no fallback, no affixes) go to
    /// Microsoft.ML.Tokenizers; everything else to PrefLab's own BPE (see <see cref="BpeModel"/>).</summary>
    public ITokenModel Build()
    {
        bool byteLevel = ByteLevelAlphabet.ByteToChar.All(c => Vocab.ContainsKey(c.ToString()));
        bool fitsMl = byteLevel && !ByteFallback && ContinuingSubwordPrefix.Length == 0 && EndOfWordSuffix.Length == 0 &&
            Merges.All(m => !m.Left.Contains(' ') && !m.Right.Contains(' '));
        return fitsMl ? new MlBpeModel(this) : new BpeModel(this);
    }
}

/// <summary>
/// PrefLab's own BPE, Hugging Face's algorithm (tokenizers/src/models/bpe/word.rs): symbols are the word's
/// code points (with byte fallback to &lt;0xNN&gt; tokens, or the unk token, fused when fuse_unk), then the
/// adjacent pair of lowest merge rank is merged, leftmost first, until none is left. Used for what
/// Microsoft.ML.Tokenizers' BpeTokenizer cannot express: byte_fallback (Llama 2, Mistral, TinyLlama) and
/// continuing-subword affixes; its unknown-char handling also silently drops chars instead of emitting unk.
/// </summary>
internal sealed class BpeModel : ITokenModel
{
    readonly Dictionary<string, int> vocab;
    readonly Dictionary<long, (int Rank, int NewId)> merges;
    readonly int? unkId;
    readonly BpeDefinition definition;
    readonly int[]? byteTokens;
    // ids of one-char tokens by char, when no affix changes what a char's symbol is (saves a lookup per char)
    readonly int[]? charIds;
    readonly WordCache cache = new();

    public BpeModel(BpeDefinition d)
    {
        definition = d;
        vocab = d.Vocab;
        merges = d.ResolveMerges();
        if (d.UnkToken is not null && vocab.TryGetValue(d.UnkToken, out int unk)) unkId = unk;
        if (d.ContinuingSubwordPrefix.Length == 0 && d.EndOfWordSuffix.Length == 0)
        {
            charIds = new int[char.MaxValue + 1];
            Array.Fill(charIds, -1);
            foreach (var (token, id) in vocab)
                if (token.Length == 1 && !char.IsSurrogate(token[0])) charIds[token[0]] = id;
        }
        if (d.ByteFallback)
        {
            byteTokens = new int[256];
            for (int i = 0; i < 256; i++) byteTokens[i] = vocab.TryGetValue($"<0x{i:X2}>", out int t) ? t : -1;
        }
    }

    public IReadOnlyDictionary<string, int> Vocab => vocab;

    public static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    public void Tokenize(string word, List<ModelToken> output)
    {
        if (word.Length == 0 || cache.TryGet(word, output)) return;
        var tokens = Compute(word);
        cache.Add(word, tokens);
        output.AddRange(tokens);
    }

    struct Symbol
    {
        public int Id, Start, End, Prev, Next;
        public bool Alive;
    }

    ModelToken[] Compute(string word)
    {
        if (definition.IgnoreMerges && vocab.TryGetValue(word + definition.EndOfWordSuffix, out int whole))
            return [new ModelToken(whole, 0, word.Length)];

        var symbols = new List<Symbol>(word.Length);
        Span<byte> utf8 = stackalloc byte[4];
        bool lastWasUnk = false;
        for (int i = 0; i < word.Length;)
        {
            int n = CodePoints.LengthAt(word, i);
            if (n == 1 && charIds is not null && charIds[word[i]] >= 0)
            {
                Add(symbols, charIds[word[i]], i, i + 1);
                lastWasUnk = false;
                i++;
                continue;
            }
            string piece = word.Substring(i, n);
            if (i > 0) piece = definition.ContinuingSubwordPrefix + piece;
            if (i + n == word.Length) piece += definition.EndOfWordSuffix;
            if (vocab.TryGetValue(piece, out int id))
            {
                Add(symbols, id, i, i + n);
                lastWasUnk = false;
            }
            else if (byteTokens is not null && TryBytes(word.AsSpan(i, n), utf8, out int count) &&
                     utf8[..count].ToArray().All(b => byteTokens[b] >= 0))
            {
                for (int k = 0; k < count; k++) Add(symbols, byteTokens[utf8[k]], i, i + n);
                lastWasUnk = false;
            }
            else if (unkId is int unk)
            {
                if (definition.FuseUnk && lastWasUnk)
                {
                    var last = symbols[^1];
                    last.End = i + n;
                    symbols[^1] = last;
                }
                else Add(symbols, unk, i, i + n);
                lastWasUnk = true;
            }
            else
                throw new Runtime.UserError($"{definition.File}: the character U+{CodePoints.At(word, i):X4} is not in the BPE vocabulary, " +
                    "and the model has neither byte_fallback nor an unk_token");
            i += n;
        }

        var arr = symbols.ToArray();
        var queue = new PriorityQueue<(int Pos, int NewId), (int Rank, int Pos)>();
        void Consider(int left)
        {
            int right = arr[left].Next;
            if (right < 0) return;
            if (merges.TryGetValue(Key(arr[left].Id, arr[right].Id), out var m)) queue.Enqueue((left, m.NewId), (m.Rank, left));
        }
        for (int i = 0; i + 1 < arr.Length; i++) Consider(i);
        while (queue.TryDequeue(out var item, out var priority))
        {
            int left = item.Pos;
            if (!arr[left].Alive) continue;
            int right = arr[left].Next;
            if (right < 0) continue;
            // stale entry: the pair changed since it was queued
            if (!merges.TryGetValue(Key(arr[left].Id, arr[right].Id), out var m) || m.Rank != priority.Rank || m.NewId != item.NewId) continue;
            arr[left].Id = m.NewId;
            arr[left].End = arr[right].End;
            arr[left].Next = arr[right].Next;
            arr[right].Alive = false;
            if (arr[left].Next >= 0) arr[arr[left].Next].Prev = left;
            if (arr[left].Prev >= 0) Consider(arr[left].Prev);
            Consider(left);
        }
        var result = new List<ModelToken>();
        for (int i = 0; i < arr.Length; i++)
            if (arr[i].Alive) result.Add(new ModelToken(arr[i].Id, arr[i].Start, arr[i].End));
        return result.ToArray();
    }

    static void Add(List<Symbol> symbols, int id, int start, int end)
    {
        int index = symbols.Count;
        if (index > 0)
        {
            var prev = symbols[index - 1];
            prev.Next = index;
            symbols[index - 1] = prev;
        }
        symbols.Add(new Symbol { Id = id, Start = start, End = end, Prev = index - 1, Next = -1, Alive = true });
    }

    static bool TryBytes(ReadOnlySpan<char> chars, Span<byte> buffer, out int count)
    {
        count = System.Text.Encoding.UTF8.GetBytes(chars, buffer);
        return count > 0;
    }
}

/// <summary>
/// Byte-level BPE merging by Microsoft.ML.Tokenizers' BpeTokenizer (GPT-2, Llama 3, Qwen2/3): it receives one
/// pre-tokenized word already mapped to byte chars, with a pre-tokenizer that keeps the word whole (its
/// default would split it again) and no normalizer. ignore_merges (Llama 3: a word that is itself a vocabulary
/// entry is one token, whatever the merges would make of it) is checked here first, as ML has no such option.
/// </summary>
internal sealed class MlBpeModel : ITokenModel
{
    readonly Microsoft.ML.Tokenizers.BpeTokenizer bpe;
    readonly Dictionary<string, int> vocab;
    readonly bool ignoreMerges;
    // ML caches merges itself, but each call still runs its pre-tokenizer and allocates token strings.
    readonly WordCache cache = new();

    public MlBpeModel(BpeDefinition d)
    {
        d.ResolveMerges(); // the same checks and errors as PrefLab's own BPE
        vocab = d.Vocab;
        ignoreMerges = d.IgnoreMerges;
        var options = new Microsoft.ML.Tokenizers.BpeOptions(d.Vocab)
        {
            Merges = d.Merges.Select(m => m.Left + " " + m.Right),
            PreTokenizer = new Microsoft.ML.Tokenizers.RegexPreTokenizer(new System.Text.RegularExpressions.Regex("(?s).+"), null),
            Normalizer = null,
            ByteLevel = false,
        };
        bpe = Microsoft.ML.Tokenizers.BpeTokenizer.Create(options);
    }

    public IReadOnlyDictionary<string, int> Vocab => vocab;

    public void Tokenize(string word, List<ModelToken> output)
    {
        if (word.Length == 0 || cache.TryGet(word, output)) return;
        ModelToken[] tokens;
        if (ignoreMerges && vocab.TryGetValue(word, out int whole))
            tokens = [new ModelToken(whole, 0, word.Length)];
        else
            tokens = bpe.EncodeToTokens(word, out _).Select(t =>
            {
                var (start, length) = t.Offset.GetOffsetAndLength(word.Length);
                return new ModelToken(t.Id, start, start + length);
            }).ToArray();
        cache.Add(word, tokens);
        output.AddRange(tokens);
    }
}
