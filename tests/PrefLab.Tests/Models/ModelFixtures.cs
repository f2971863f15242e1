using System.Text.Json.Nodes;
using PrefLab.Algorithms.Common;
using PrefLab.Models;
using PrefLab.Models.LogProbs;
using PrefLab.Runtime;
using Xunit;
using PrefLab.Models.Checkpoints;
using static TorchSharp.torch;

namespace PrefLab.Tests.Models;

/// <summary>The tiny checkpoints and reference logits under tests/fixtures/models (made by make_reference.py,
/// an independent numpy implementation), and small tensor helpers.</summary>
public static class ModelFixtures
{
    public static readonly string[] CausalNames = { "llama", "mistral", "qwen2", "qwen3", "gpt2" };

    static readonly Lazy<string> root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "models");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/models not found above " + AppContext.BaseDirectory);
    });

    public static string Folder(string name) => Path.Combine(root.Value, name);

    public sealed record LogitsCase(long[] Ids, long[]? PositionIds, float[][] Logits);

    public static IReadOnlyList<LogitsCase> Expected(string name)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder(name), "expected.json")))!;
        return json["cases"]!.AsArray().Select(c => new LogitsCase(
            c!["ids"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray(),
            c["position_ids"] is JsonArray p ? p.Select(x => x!.GetValue<long>()).ToArray() : null,
            c["logits"]!.AsArray().Select(row => row!.AsArray().Select(x => x!.GetValue<float>()).ToArray()).ToArray())).ToList();
    }

    public static Tensor Ids(params long[] ids) => tensor(ids, dtype: ScalarType.Int64).unsqueeze(0);

    /// <summary>Rows padded to one length with <paramref name="pad"/>, and their mask.</summary>
    public static (Tensor Ids, Tensor Mask) Batch(long[][] rows, bool left, long pad = 0)
    {
        int length = rows.Max(r => r.Length);
        var ids = new long[rows.Length, length];
        var mask = new long[rows.Length, length];
        for (int b = 0; b < rows.Length; b++)
        {
            int offset = left ? length - rows[b].Length : 0;
            for (int t = 0; t < length; t++) ids[b, t] = pad;
            for (int t = 0; t < rows[b].Length; t++)
            {
                ids[b, offset + t] = rows[b][t];
                mask[b, offset + t] = 1;
            }
        }
        return (tensor(ids), tensor(mask));
    }

    /// <summary>
    /// Four backward passes of the summed completion log-probs of <paramref name="ids"/> (each in its own scope, then
    /// zero_grad): the live tensor count after the second pass equals the count after the fourth.
    /// </summary>
    public static void AssertBackwardLeavesNoTensors(CausalLM model, Tensor ids, Tensor mask, LogitChunking chunking)
    {
        long? after = null;
        for (int step = 0; step < 4; step++)
        {
            using (var scope = NewDisposeScope())
            {
                var logProbs = ModelLogProbs.OfCompletion(model, ids, mask, mask, 1.0, chunking);
                Sequences.LogProb(logProbs.LogProbs, logProbs.Mask).sum().backward();
            }
            model.zero_grad();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (step == 1) after = LiveTensors.Count;
        }
        Assert.Equal(after, LiveTensors.Count);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var diff = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max();
        return diff.item<double>();
    }

    public static Tensor ToTensor(float[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray()).view(rows.Length, rows[0].Length);

    /// <summary>A folder that is a copy of a fixture, for tests that change files.</summary>
    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), true);
    }

    public static Dictionary<string, Tensor> ReadAll(string folder)
    {
        using var checkpoint = Checkpoint.Open(folder);
        return checkpoint.Names.ToDictionary(n => n, checkpoint.Read);
    }
}
