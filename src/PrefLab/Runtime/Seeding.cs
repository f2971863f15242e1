using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace PrefLab.Runtime;

/// <summary>
/// One seed drives every random number: torch's global generator and .NET <see cref="Random"/> instances.
/// Components that need their own stream derive it by name, so adding a component never shifts another's
/// numbers.
/// </summary>
public static class Seeding
{
    /// <summary>Seeds torch's global generator and returns a .NET generator from the same seed.</summary>
    public static Random SetGlobal(long seed)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(seed);
        return new Random(Fold(seed));
    }

    /// <summary>A seed for the named stream, stable across runs, machines and .NET versions.</summary>
    public static long Derive(long seed, string stream)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(seed.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + stream), hash);
        return BitConverter.ToInt64(hash[..8]) & long.MaxValue;
    }

    /// <summary>A .NET generator for the named stream.</summary>
    public static Random Stream(long seed, string stream) => new(Fold(Derive(seed, stream)));

    /// <summary>A torch generator for the named stream (for sampling that must not disturb the global one).</summary>
    public static torch.Generator TorchStream(long seed, string stream)
    {
        TorchRuntime.EnsureLoaded();
        return new torch.Generator((ulong)Derive(seed, stream));
    }

    static int Fold(long seed) => (int)(seed ^ (seed >> 32)) & int.MaxValue;
}
