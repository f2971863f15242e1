using PrefLab.World.Knowledge;
using PrefLab.World.Language;

namespace PrefLab.World.Scoring;

/// <summary>
/// Surface facts about a response that every scorer uses: its tokens (special tokens such as a trailing
/// &lt;/s&gt; dropped), sentences, repetition, refusal and hedging markers, and the generic helpfulness of its
/// form (<see cref="Style"/>).
/// </summary>
public sealed class ResponseAnalysis
{
    ResponseAnalysis(string[] tokens)
    {
        Tokens = tokens;
        Sentences = Claims.Sentences(tokens);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Sentences)
            if (!seen.Add(string.Join(' ', s))) DuplicateSentences++;
        if (tokens.Length >= 4)
        {
            var grams = new HashSet<string>(StringComparer.Ordinal);
            int total = 0;
            for (int i = 0; i + 4 <= tokens.Length; i++, total++) grams.Add(string.Join(' ', tokens, i, 4));
            LoopFraction = 1.0 - (double)grams.Count / total;
        }
        Refuses = Has("sorry") || Has("can", "not", "help") || Has("will", "not", "help") || Has("can", "not", "do", "that");
        Hedges = Has("do", "not", "know") || Has("not", "sure") || Has("never", "heard");
    }

    public static ResponseAnalysis Of(string response) =>
        new(WorldText.Tokens(response).Where(t => !Vocabulary.SpecialTokens.Contains(t)).ToArray());

    public IReadOnlyList<string> Tokens { get; }
    public List<List<string>> Sentences { get; }
    /// <summary>Sentences that repeat an earlier sentence word for word.</summary>
    public int DuplicateSentences { get; }
    /// <summary>Share of repeated 4-grams (0 for a response without loops).</summary>
    public double LoopFraction { get; }
    /// <summary>The response declines ("sorry", "i can not help", "i will not help").</summary>
    public bool Refuses { get; }
    /// <summary>The response admits not knowing ("i do not know", "not sure", "never heard").</summary>
    public bool Hedges { get; }

    public bool Has(params string[] sequence)
    {
        for (int i = 0; i + sequence.Length <= Tokens.Count; i++)
        {
            int k = 0;
            while (k < sequence.Length && Tokens[i + k] == sequence[k]) k++;
            if (k == sequence.Length) return true;
        }
        return false;
    }

    /// <summary>Helpfulness of the form alone: 1, minus 0.35 per repeated sentence, minus 0.03 per token over
    /// the task's budget, minus twice the share of repeated 4-grams above 0.3 for responses over 12 tokens
    /// (degenerate loops). An empty response scores 0.</summary>
    public double Style(int budget)
    {
        if (Tokens.Count == 0) return 0;
        double penalty = 0.35 * DuplicateSentences + 0.03 * Math.Max(0, Tokens.Count - budget);
        if (Tokens.Count > 12) penalty += 2 * Math.Max(0, LoopFraction - 0.3);
        return Math.Clamp(1 - penalty, 0, 1);
    }

    /// <summary>The number written digit by digit starting at <paramref name="start"/>, or null.</summary>
    public static int? NumberAt(IReadOnlyList<string> tokens, int start, out int end)
    {
        end = start;
        if (start >= tokens.Count || !WorldText.IsDigit(tokens[start])) return null;
        long value = 0;
        while (end < tokens.Count && WorldText.IsDigit(tokens[end]))
        {
            value = Math.Min(value * 10 + (tokens[end][0] - '0'), int.MaxValue);
            end++;
        }
        return (int)value;
    }
}
