using System.Globalization;
using PrefLab.Data.Records;
using PrefLab.Generation;
using PrefLab.Runtime;
using PrefLab.Statistics;

namespace PrefLab.Algorithms.BestOfN;

/// <summary>A prompt to draw best-of-N samples for: the conversation up to the user turn (what the judge reads) and
/// its rendered token ids (what the policy reads).</summary>
public sealed record BestOfNPrompt(IReadOnlyList<Message> Messages, int[] Ids);

/// <summary>One chunk's draw: <see cref="N"/> samples per prompt (prompt p's are rows p·N .. p·N + N − 1), their rewards,
/// and each prompt's pick as an index into its own N samples.</summary>
public sealed record BestOfNDraw(int N, IReadOnlyList<GeneratedSequence> Samples, SampleRewards Rewards, IReadOnlyList<int> Picks)
{
    /// <summary>The sample picked for prompt <paramref name="prompt"/> of the chunk.</summary>
    public GeneratedSequence Picked(int prompt) => Samples[prompt * N + Picks[prompt]];
}

/// <summary>
/// The one best-of-N draw, shared by <see cref="BestOfNJob"/> (<c>preflab bon</c>) and the lab's best-of-N nodes: each
/// prompt repeated N times (rows differ through the per-row sampling counters), sampled with a seed derived from the
/// generation seed and the chunk's index (so chunks do not replay one another's draws), every sample scored by the
/// judge, and the highest-scored sample picked by <see cref="BestOfK.Pick"/> (ties keep the earlier sample; an
/// unscored sample is never preferred to a scored one).
/// </summary>
public sealed class BestOfNSampler(TextGenerator generator, IBestOfNJudge judge, int n)
{
    public int N { get; } = n >= 1 ? n : throw UserError.InOption("n", $"must be at least 1, not {n}");

    /// <param name="chunk">The chunk's index among the caller's calls: it names the chunk's sampling stream.</param>
    /// <param name="onSamplesDone">Progress, in samples (prompts × N).</param>
    public BestOfNDraw Draw(IReadOnlyList<BestOfNPrompt> prompts, GenerationOptions generation, int chunk, Action<int>? onSamplesDone = null)
    {
        var repeated = prompts.SelectMany(p => Enumerable.Repeat(p, N)).ToList();
        var sampling = generation with { Seed = ChunkSeed(generation.Seed, chunk) };
        var samples = generator.Generate(repeated.Select(p => p.Ids).ToList(), sampling, onSamplesDone).Sequences;
        var rewards = judge.Score(repeated.Select(p => p.Messages).ToList(), samples.Select(s => s.Text ?? "").ToList());
        var picks = Enumerable.Range(0, prompts.Count).Select(p => BestOfK.Pick(rewards.Rewards[(p * N)..((p + 1) * N)])).ToArray();
        return new BestOfNDraw(N, samples, rewards, picks);
    }

    /// <summary>The sampling seed of chunk <paramref name="chunk"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static long ChunkSeed(long seed, int chunk) => Seeding.Derive(seed, "bon/chunk/" + chunk.ToString(CultureInfo.InvariantCulture));
}
