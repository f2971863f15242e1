using PrefLab.Models.LogProbs;
using PrefLab.Models.Presets;
using PrefLab.Models;
using PrefLab.Tests.Text;
using PrefLab.Text;
using static TorchSharp.torch;

namespace PrefLab.Tests.Generation;

/// <summary>The tiny-test preset on the World fixture tokenizer (51 ids, EOS 3, pad 0), its weights redrawn with
/// a large spread so the next-token distributions are far from uniform and depend on context and position; an
/// uncached reference decoder; prompts of different lengths.</summary>
public static class GenerationFixtures
{
    public const int Eos = 3;
    public const int Pad = 0;

    public static HfTokenizer Tokenizer => TokenizerFixtures.Load("world");

    public static CausalLM Model(int seed = 1, double std = 0.5)
    {
        var config = ModelPresets.Create("tiny-test", TokenizerFacts.Read(TokenizerFixtures.Folder("world")));
        var model = CausalLM.Create(config, seed);
        var random = new Random(seed);
        using var noGrad = no_grad();
        foreach (var (_, parameter) in model.named_parameters())
        {
            if (parameter.dim() < 2) continue; // norms stay at 1
            var values = new float[parameter.numel()];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)(std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            using var source = tensor(values).view(parameter.shape);
            parameter.copy_(source);
        }
        return model;
    }

    /// <summary>Word ids of the World vocabulary (7..50), lengths 3, 9, 5, 12, 1.</summary>
    public static readonly int[][] Prompts =
    {
        new[] { 2, 11, 9 },
        new[] { 2, 5, 11, 9, 7, 12, 10, 13, 22 },
        new[] { 2, 5, 31, 32, 6 },
        new[] { 2, 5, 33, 34, 25, 35, 28, 21, 17, 18, 19, 6 },
        new[] { 2 },
    };

    /// <summary>Greedy decoding by a full forward over the whole sequence at every step (no cache, no padding),
    /// with each step's log_softmax at T = 1. <paramref name="positionShift"/> adds to the position id of the
    /// last token (the negative control).</summary>
    public static (int[] Tokens, float[] LogProbs) GreedyUncached(CausalLM model, int[] prompt, int newTokens, long positionShift = 0)
    {
        var sequence = prompt.ToList();
        var logProbs = new List<float>();
        using var noGrad = no_grad();
        for (int step = 0; step < newTokens; step++)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(sequence.Select(i => (long)i).ToArray()).unsqueeze(0);   // [1, T]
            var positions = arange(sequence.Count, dtype: ScalarType.Int64).unsqueeze(0);
            if (positionShift != 0) positions[0, sequence.Count - 1] = positions[0, sequence.Count - 1] + positionShift;
            var last = model.forward(ids, null, positions).select(1, -1);               // [1, V]
            var next = last.argmax(-1);                                                // [1]
            logProbs.Add(TokenLogProbs.Gather(last.unsqueeze(1), next.unsqueeze(1)).item<float>());
            sequence.Add((int)next.item<long>());
        }
        return (sequence.Skip(prompt.Length).ToArray(), logProbs.ToArray());
    }

    public static double MaxAbsDiff(float[] a, float[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).DefaultIfEmpty(0).Max();
    }
}

/// <summary>Runs a test class's tests with one LibTorch thread, restoring the count after each test. The tiny
/// model's ops gain nothing from a second thread, and on the busy shared 2-core machine two threads made each
/// forward 10-40x slower (spinning workers competing with other processes).</summary>
public abstract class SingleThreadedTests : IDisposable
{
    readonly int previous;

    protected SingleThreadedTests()
    {
        previous = PrefLab.Runtime.TorchRuntime.Threads;
        PrefLab.Runtime.TorchRuntime.SetThreads(1);
    }

    public void Dispose()
    {
        PrefLab.Runtime.TorchRuntime.SetThreads(previous);
        GC.SuppressFinalize(this);
    }
}
