using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrefLab.Lab.Execution;
using PrefLab.Lab.Plan;
using PrefLab.Runtime;
using Xunit;

namespace PrefLab.Tests.Lab;

/// <summary>
/// A deterministic stand-in for the trainers. Training nodes log metrics.jsonl step by step with a checkpoint file,
/// so they can be interrupted and resumed; evaluations score items from hashes plus an effect per factor level:
/// data whose file name contains "good" (DPO's own, or PPO's reward model's) adds <see cref="GoodDataEffect"/> to every
/// category, PPO adds
/// <see cref="PpoReasoningEffect"/> to "reasoning" only, best-of-N adds 0.04·log2(n), prompts add nothing.
/// </summary>
public sealed class FakeExecutor : ILabExecutor
{
    public static readonly string[] Categories = ["helpfulness", "reasoning", "safety"];
    public const int ItemsPerCategory = 40;
    public const double GoodDataEffect = 0.25;
    public const double PpoReasoningEffect = 0.10;

    public readonly Dictionary<NodeKind, int> Calls = Enum.GetValues<NodeKind>().ToDictionary(k => k, _ => 0);
    public readonly List<(string Id, NodeKind Kind, bool Resume)> Executions = [];
    /// <summary>"nodeId:step" for every training step this executor ran.</summary>
    public readonly List<string> StepsRun = [];

    public string FingerprintText { get; set; } = "fake-1";
    public Dictionary<NodeKind, string> FingerprintOverrides { get; } = [];

    /// <summary>Fail nodes this picks (throws before doing anything).</summary>
    public Func<NodeWork, bool>? FailWhen { get; set; }

    /// <summary>Throw LibTorch's kind of failure (an ExternalException) when this picks a node, as TorchSharp's
    /// Scalar lifetime race does.</summary>
    public Func<NodeWork, bool>? NativeFailureWhen { get; set; }

    /// <summary>Interrupt the first fresh node this picks at <see cref="InterruptAtStep"/> by cancelling <see cref="Cancel"/>.</summary>
    public Func<NodeWork, bool>? InterruptWhen { get; set; }
    public CancellationTokenSource? Cancel { get; set; }
    public int InterruptAtStep { get; set; } = 3;

    public string Fingerprint(NodeKind kind) => FingerprintOverrides.TryGetValue(kind, out var text) ? text : FingerprintText;

    public void GenerateWorld(NodeWork work)
    {
        Begin(work);
        foreach (string file in new[] { "pretrain.jsonl", "sft.jsonl", "preferences/good.jsonl", "preferences/noisy.jsonl", "prompts/mixed.jsonl", "prompts/reasoning.jsonl" })
        {
            string path = Path.Combine(work.OutputFolder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, $"{{\"seed\":{work.Seed}}}\n");
        }
    }

    public void Pretrain(NodeWork work) => Train(work);
    public void Sft(NodeWork work) => Train(work);
    public void TrainRewardModel(NodeWork work) => Train(work);
    public void TrainPolicy(NodeWork work) => Train(work);

    public IReadOnlyList<PairVerdict> EvaluateRewardModel(NodeWork work)
    {
        Begin(work);
        // An ensemble (several reward-model inputs) gets verdicts of its own, as accurate as its first member.
        var rm = NodeSettings(work.RewardModels[0]);
        double accuracy = rm["preset"]?.GetValue<string>() == "large" ? 0.85 : 0.65;
        string rmId = work.RewardModels.Count > 1 ? work.Node.Id : rm["id"]!.GetValue<string>();
        var verdicts = new List<PairVerdict>();
        foreach (string subset in new[] { "chat", "reasoning" })
            for (int i = 0; i < 30; i++)
                verdicts.Add(new PairVerdict(subset, $"pair-{i:D2}",
                    Unit(rmId, subset, i) < accuracy ? 1 : 0,
                    Unit(rmId, "gold", subset, i) < accuracy - 0.05 ? 1 : 0));
        return verdicts;
    }

    public IReadOnlyList<ItemScore> BestOfN(NodeWork work)
    {
        Begin(work);
        double bonus = 0.04 * Math.Log2(work.Settings.GetLong("n") ?? 1);
        return Score(work.Node.Id, _ => bonus);
    }

    public IReadOnlyList<ItemScore> Evaluate(NodeWork work)
    {
        Begin(work);
        string modelFolder = work.Input(InputRoles.Model);
        var model = NodeSettings(modelFolder);
        var settings = model["settings"]!.AsObject();
        string kind = model["kind"]!.GetValue<string>();
        // DPO learns from its data; online RL from the data its reward model was trained on.
        string? data = settings["data"]?.GetValue<string>();
        if (data is null && (model["inputs"]?["reward_model"] ?? model["inputs"]?[InputRoles.EnsembleMember(0)])?.GetValue<string>() is { } rm)
            data = NodeSettings(Path.Combine(modelFolder, "..", "..", "reward_model", rm["node:".Length..]))["settings"]!["data"]!.GetValue<string>();
        double dataEffect = data is not null && ResolveData(work, data).Contains("good", StringComparison.Ordinal) ? GoodDataEffect : 0;
        bool ppo = settings["algorithm"]?.GetValue<string>() == "ppo";
        // The evaluated policy's id varies with every setting and seed: it drives the item-level noise.
        string identity = kind == "policy" ? model["id"]!.GetValue<string>() : work.Node.Id;
        return Score(identity, category => dataEffect + (ppo && category == "reasoning" ? PpoReasoningEffect : 0));
    }

    static string ResolveData(NodeWork work, string value) => value.StartsWith("world:", StringComparison.Ordinal) && work.WorldFolder is { } world
        ? WorldRefs.Resolve(world, value["world:".Length..], NodeKind.Policy, "data")
        : value;

    static List<ItemScore> Score(string identity, Func<string, double> effect)
    {
        var items = new List<ItemScore>();
        foreach (string category in Categories)
            for (int i = 0; i < ItemsPerCategory; i++)
            {
                double p = Math.Clamp(0.3 + 0.4 * Unit("difficulty", category, i) + effect(category), 0.02, 0.98);
                items.Add(new ItemScore(category, $"{category}-{i:D3}", Unit(identity, category, i) < p ? 1 : 0));
            }
        return items;
    }

    void Train(NodeWork work)
    {
        Begin(work);
        if (work.Settings.Contains("data")) Assert.True(File.Exists(work.File("data")), $"data of {work.Node} resolves to a file");
        if (work.Settings.Contains("prompts")) Assert.True(File.Exists(work.File("prompts")), $"prompts of {work.Node} resolve to a file");
        long steps = work.Settings.GetLong("max-steps") ?? 5;
        string checkpoint = Path.Combine(work.OutputFolder, "checkpoint.txt");
        string metrics = Path.Combine(work.OutputFolder, "metrics.jsonl");
        long start = 0;
        if (work.Resume && File.Exists(checkpoint))
        {
            start = long.Parse(File.ReadAllText(checkpoint), CultureInfo.InvariantCulture);
            // Drop lines logged after the checkpoint, as RunDirectory.TruncateMetricsAfter does.
            var kept = File.Exists(metrics) ? File.ReadAllLines(metrics).Where(l => JsonNode.Parse(l)!["step"]!.GetValue<long>() <= start).ToList() : [];
            File.WriteAllLines(metrics, kept);
        }
        bool ppo = work.Settings.GetString("algorithm") == "ppo";
        var progress = work.StartProgress(steps);
        for (long step = start + 1; step <= steps; step++)
        {
            if (!work.Resume && step == InterruptAtStep && InterruptWhen?.Invoke(work) == true)
            {
                InterruptWhen = null;
                Cancel!.Cancel();
                work.Cancellation.ThrowIfCancellationRequested();
            }
            StepsRun.Add($"{work.Node.Id}:{step}");
            var line = new JsonObject
            {
                ["step"] = step,
                ["loss"] = 0.7 - 0.05 * step + 0.01 * Unit(work.Node.Id, "loss", (int)step),
                ["lr"] = 1e-5,
            };
            if (ppo)
            {
                line["objective/scores"] = 0.1 * step + 0.05 * Unit(work.Node.Id, "scores", (int)step);
                line["objective/kl"] = 0.02 * step * step;
            }
            File.AppendAllText(metrics, line.ToJsonString() + "\n");
            AtomicFile.WriteAllText(checkpoint, step.ToString(CultureInfo.InvariantCulture));
            progress.SetPosition(step);
        }
        File.WriteAllText(Path.Combine(work.OutputFolder, "model.txt"), work.Node.Id);
    }

    void Begin(NodeWork work)
    {
        Calls[work.Kind]++;
        Executions.Add((work.Node.Id, work.Kind, work.Resume));
        Assert.True(Directory.Exists(work.OutputFolder));
        foreach (var (role, path) in work.Inputs)
            Assert.True(Directory.Exists(path) || File.Exists(path), $"input {role} of {work.Node} exists: {path}");
        foreach (var input in work.Node.Inputs.Where(i => i.NodeId is not null))
            Assert.True(ResultFile.Exists(work.Inputs[input.Role], input.NodeId!), $"upstream {input.NodeId} finished before {work.Node}");
        if (FailWhen?.Invoke(work) == true) throw new InvalidOperationException($"simulated failure of {work.Node.Label}");
        if (NativeFailureWhen?.Invoke(work) == true)
            throw new System.Runtime.InteropServices.ExternalException("false INTERNAL ASSERT FAILED at \"/pytorch/c10/core/Scalar.h\":279\nframe #0: ...");
    }

    /// <summary>The lab-node.json the runner wrote into a node's folder.</summary>
    static JsonObject NodeSettings(string folder)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "lab-node.json")))!.AsObject();
        var settings = node["settings"]!.AsObject();
        node["preset"] = settings["preset"]?.DeepClone();
        return node;
    }

    /// <summary>A uniform number in [0, 1) from the SHA-256 of the parts.</summary>
    public static double Unit(params object[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("|", parts.Select(p => Convert.ToString(p, CultureInfo.InvariantCulture)))));
        return (BitConverter.ToUInt64(hash, 0) >> 11) / (double)(1UL << 53);
    }
}
