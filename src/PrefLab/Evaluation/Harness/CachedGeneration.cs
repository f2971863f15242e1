using PrefLab.Evaluation.Caching;
using PrefLab.Evaluation.Suites;
using PrefLab.Generation;
using PrefLab.Runtime;

namespace PrefLab.Evaluation.Harness;

/// <summary>
/// Generates responses through the cache: a prompt whose key (<see cref="GenerationKey"/>) is cached is not generated
/// again. Greedy prompts missing from the cache are generated in chunks of <see cref="ChunkSize"/> (each chunk
/// appended to the cache when done, so an interrupted run keeps its work). Sampled prompts are cut into fixed chunks
/// of <see cref="ChunkSize"/> by position, chunk c sampled with seed Derive(seed, "eval/sample-chunk/c"); a chunk
/// with any prompt missing is generated whole, so a prompt's draws are the same whichever of its chunk's prompts were
/// cached.
/// </summary>
public sealed class CachedGeneration(GenerationCache? cache, string modelFingerprint, Func<IResponseGenerator> generator)
{
    public const int ChunkSize = 64;

    IResponseGenerator? created;
    IResponseGenerator Generator => created ??= generator();

    public int Requested { get; private set; }
    public int FromCache { get; private set; }
    public int Generated { get; private set; }

    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, Action<int>? onPromptsDone = null)
    {
        Requested += prompts.Count;
        var results = new GeneratedText?[prompts.Count];
        if (options.IsGreedy) GenerateGreedy(prompts, options, results, onPromptsDone);
        else GenerateSampled(prompts, options, results, onPromptsDone);
        return results.Select(r => r!).ToList();
    }

    void GenerateGreedy(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, GeneratedText?[] results, Action<int>? onPromptsDone)
    {
        var keys = prompts.Select(p => GenerationKey.Of(modelFingerprint, p.Ids, options)).ToArray();
        var missing = new List<int>();
        var firstOfKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Length; i++)
        {
            if (cache is not null && cache.TryGet(keys[i], out var hit))
            {
                results[i] = hit;
                FromCache++;
            }
            else if (firstOfKey.TryAdd(keys[i], i)) missing.Add(i);
        }
        onPromptsDone?.Invoke(prompts.Count - missing.Count);
        foreach (var chunk in missing.Chunk(ChunkSize))
        {
            var generated = Generator.Generate(chunk.Select(i => prompts[i]).ToList(), options, onPromptsDone);
            Generated += chunk.Length;
            for (int j = 0; j < chunk.Length; j++) results[chunk[j]] = generated[j];
            cache?.Add(modelFingerprint, chunk.Select((i, j) => (keys[i], generated[j])).ToList());
        }
        // Repeated prompts take the response of their first occurrence.
        for (int i = 0; i < keys.Length; i++) results[i] ??= results[firstOfKey[keys[i]]];
    }

    void GenerateSampled(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options, GeneratedText?[] results, Action<int>? onPromptsDone)
    {
        var positions = Enumerable.Range(0, prompts.Count).ToArray();
        int chunkIndex = 0;
        foreach (var chunk in positions.Chunk(ChunkSize))
        {
            long seed = Seeding.Derive(options.Seed, $"eval/sample-chunk/{chunkIndex++}");
            var chunkOptions = options with { Seed = seed };
            var keys = chunk.Select((i, j) => GenerationKey.Of(modelFingerprint, prompts[i].Ids, chunkOptions, seed, j)).ToArray();
            var hits = new GeneratedText?[chunk.Length];
            bool complete = true;
            for (int j = 0; j < chunk.Length; j++)
                if (cache is not null && cache.TryGet(keys[j], out var hit)) hits[j] = hit;
                else complete = false;
            if (complete)
            {
                for (int j = 0; j < chunk.Length; j++) results[chunk[j]] = hits[j];
                FromCache += chunk.Length;
                onPromptsDone?.Invoke(chunk.Length);
                continue;
            }
            var generated = Generator.Generate(chunk.Select(i => prompts[i]).ToList(), chunkOptions, onPromptsDone);
            Generated += chunk.Length;
            for (int j = 0; j < chunk.Length; j++) results[chunk[j]] = generated[j];
            cache?.Add(modelFingerprint, keys.Select((key, j) => (key, generated[j])).ToList());
        }
    }
}
