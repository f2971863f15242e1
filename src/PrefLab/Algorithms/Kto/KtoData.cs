using PrefLab.Data.Collation;
using PrefLab.Data.Records;

namespace PrefLab.Algorithms.Kto;

/// <summary>
/// One KTO example as token ids: <see cref="TokenizedPair.Chosen"/> is its own sequence (prompt + completion),
/// <see cref="TokenizedPair.Rejected"/> its KL sequence (the same prompt with another example's completion), so
/// both go through a model in one <see cref="Collator.PadPairs"/> forward pass, and DPO's reference pass and
/// reference cache serve KTO unchanged (the "chosen" values are the example's, the "rejected" ones its KL pair's).
/// </summary>
public sealed record KtoExample(TokenizedPair Sequences, bool Desirable)
{
    public int Length => Sequences.Length;
}

/// <summary>
/// The mismatched (prompt, completion) pairs KTO estimates its reference point z0 from. As TRL's
/// <c>KTOTrainer</c> (<c>_get_kl_dataset</c>), the data is cut, in file order, into chunks of the micro-batch size
/// and completions are rotated by one within each chunk: example k takes the completion of example k − 1 (the
/// chunk's first takes its last). Two refinements keep every pair mismatched where TRL's would not: an example
/// whose rotated partner has the same prompt (a pair's chosen and rejected are adjacent) takes the nearest earlier
/// example of its chunk (cyclically) with a different prompt, and a last chunk of a single example joins the chunk
/// before it. Only a chunk whose examples all share one prompt keeps same-prompt partners.
/// </summary>
public static class KlPairing
{
    /// <summary>For each example, the index of the example whose completion is its KL completion.</summary>
    /// <param name="prompts">Each example's prompt identity (e.g. <see cref="ContentKey.Of(IReadOnlyList{Message})"/>).</param>
    /// <param name="chunkSize">The micro-batch size, at least 1.</param>
    public static int[] Sources<T>(IReadOnlyList<T> prompts, int chunkSize) where T : IEquatable<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        int n = prompts.Count;
        var sources = new int[n];
        for (int start = 0; start < n; start += chunkSize)
        {
            int end = Math.Min(n, start + chunkSize);
            if (n - end == 1) end = n;           // a last chunk of one joins this one
            int size = end - start;
            for (int k = 0; k < size; k++)
            {
                int chosen = start + (k - 1 + size) % size;
                for (int back = 1; back < size; back++)
                {
                    int candidate = start + (k - back + size) % size;
                    if (!prompts[candidate].Equals(prompts[start + k])) { chosen = candidate; break; }
                }
                sources[start + k] = chosen;
            }
            if (end == n) break;
        }
        return sources;
    }
}

/// <summary>Labelled completions to <see cref="KtoExample"/>s.</summary>
public static class KtoData
{
    /// <summary>
    /// Pairs every example with its KL completion (<see cref="KlPairing"/>, chunks of <paramref name="chunkSize"/>)
    /// and tokenizes both sequences with the loss on the final assistant turn, as DPO tokenizes a pair (the prompt
    /// kept whole; under truncation each sequence's completion loses its tail). An example whose sequences do not
    /// fit is dropped and counted in <paramref name="report"/>; its completion still serves as others' KL completion.
    /// </summary>
    public static List<KtoExample> Tokenize(IReadOnlyList<UnpairedExample> examples, ChatTokenizer chat, int maxLength,
        TruncationPolicy truncation, int chunkSize, CollationReport report)
    {
        var sources = KlPairing.Sources(examples.Select(e => ContentKey.Of(e.Prompt)).ToList(), chunkSize);
        var tokenized = new List<KtoExample>(examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            var example = examples[i];
            var pair = new PreferencePair(example.Prompt, example.Completion, examples[sources[i]].Completion);
            if (chat.Pair(pair, maxLength, truncation, report) is { } sequences) tokenized.Add(new KtoExample(sequences, example.Desirable));
        }
        return tokenized;
    }
}
