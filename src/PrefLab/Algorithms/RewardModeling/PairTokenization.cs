using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Algorithms.RewardModeling;

/// <summary>A preference pair as read and as tokenized for a reward model.</summary>
public sealed record ScoredPairInput(PreferencePair Record, TokenizedPair Tokens);

/// <summary>
/// Reads preference pairs and tokenizes both sides with the model's chat format, whole (prompt + response,
/// ending with the EOS the template adds). A pair with a side longer than the maximum length is DROPPED and
/// counted (<see cref="TruncationPolicy.Drop"/>): a reward model that read a cut-off response would score a
/// response nobody wrote, and the EOS it reads its reward at would be gone.
/// </summary>
public static class PairTokenization
{
    public static List<TokenizedPair> Read(string path, ChatTokenizer chat, int maxLength, ReadOptions read, out JsonObject report) =>
        ReadWithRecords(path, chat, maxLength, read, out report).Select(p => p.Tokens).ToList();

    /// <summary>The pairs of <paramref name="path"/> kept after tokenization, with their records (metadata for
    /// per-subset results); <paramref name="report"/> holds the read and tokenization reports.</summary>
    public static List<ScoredPairInput> ReadWithRecords(string path, ChatTokenizer chat, int maxLength, ReadOptions read, out JsonObject report)
    {
        var pairs = DatasetReader.ReadPairs(path, read);
        var kept = Tokenize(pairs, chat, maxLength, out var collation);
        report = new JsonObject
        {
            ["file"] = Path.GetFullPath(path),
            ["read"] = pairs.Report.ToJson(),
            ["tokenization"] = collation.ToJson(),
            ["chat_format"] = chat.Format.Name,
            ["max_length"] = maxLength,
        };
        return kept;
    }

    /// <summary>Tokenizes pairs built in code (e.g. the World's held-out pairs).</summary>
    public static List<ScoredPairInput> Tokenize(IEnumerable<PreferencePair> pairs, ChatTokenizer chat, int maxLength, out CollationReport collation)
    {
        collation = new CollationReport();
        var kept = new List<ScoredPairInput>();
        foreach (var pair in pairs)
            if (chat.Pair(pair, maxLength, TruncationPolicy.Drop, collation) is { } tokens) kept.Add(new ScoredPairInput(pair, tokens));
        return kept;
    }
}
