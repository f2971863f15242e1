using PrefLab.Runtime;

namespace PrefLab.Evaluation.Benchmarks;

/// <summary>How few-shot examples are chosen from the pool.</summary>
public enum FewShotSelection
{
    /// <summary>k examples drawn without replacement by a stream named after the seed and the target question, so each
    /// target gets its own stable draw whatever the order of evaluation.</summary>
    Seeded,

    /// <summary>The pool's first k examples, in order (the original MMLU protocol over the dev split).</summary>
    FirstN,
}

/// <summary>Choosing few-shot examples: never the target itself (matched by question text).</summary>
public static class FewShot
{
    public static IReadOnlyList<T> Select<T>(IReadOnlyList<T> pool, int k, string targetQuestion, Func<T, string> questionOf,
        long seed, FewShotSelection selection = FewShotSelection.Seeded)
    {
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "the number of examples must not be negative");
        var eligible = pool.Where(example => questionOf(example) != targetQuestion).ToList();
        if (k > eligible.Count)
            throw new UserError($"few-shot: asked for {k} examples but the pool has only {eligible.Count} besides the target");
        if (selection == FewShotSelection.FirstN) return eligible.Take(k).ToList();
        var random = Seeding.Stream(seed, "fewshot/" + targetQuestion);
        // Partial Fisher-Yates: the first k positions end up a uniform draw without replacement.
        for (int i = 0; i < k; i++)
        {
            int j = i + random.Next(eligible.Count - i);
            (eligible[i], eligible[j]) = (eligible[j], eligible[i]);
        }
        return eligible.Take(k).ToList();
    }
}
