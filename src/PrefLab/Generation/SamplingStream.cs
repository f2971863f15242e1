using PrefLab.Runtime;

namespace PrefLab.Generation;

/// <summary>
/// The randomness of sampling: a counter-based stream, u(sequence, step) in [0, 1), a SplitMix64 hash of
/// (Seeding.Derive(seed, "generation/sampling"), sequence, step). Each sequence's draws depend only on the seed,
/// its index in the call's prompt list and the step, never on which other prompts share its batch, the batch
/// size, the length sort, or finished rows being dropped; torch's global generator is not touched. (A torch
/// generator consumed row after row, with multinomial, would make a sequence's sample depend on its batch.)
/// </summary>
public readonly struct SamplingStream
{
    const ulong Gamma = 0x9E3779B97F4A7C15UL;
    readonly ulong root;

    public SamplingStream(long seed) => root = (ulong)Seeding.Derive(seed, "generation/sampling");

    /// <summary>The uniform number for draw <paramref name="step"/> of sequence <paramref name="sequence"/>.</summary>
    public double Uniform(long sequence, long step)
    {
        ulong x = Mix(root + Gamma * ((ulong)sequence + 1));
        x = Mix(x ^ (Gamma * ((ulong)step + 1)));
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
