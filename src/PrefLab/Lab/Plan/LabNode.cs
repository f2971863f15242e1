using PrefLab.Lab.Grid;

namespace PrefLab.Lab.Plan;

/// <summary>Input roles a node can receive (keys of <see cref="LabNode.Inputs"/>).</summary>
public static class InputRoles
{
    /// <summary>The World folder (generated node or an existing folder); every node of a World grid gets it.</summary>
    public const string World = "world";
    /// <summary>The base model an SFT node fine-tunes.</summary>
    public const string Base = "base";
    /// <summary>The model a node starts from or evaluates: the SFT model for reward models, policies and
    /// best-of-N (also the reference model), the trained policy (or SFT model) for evaluations.</summary>
    public const string Model = "model";
    /// <summary>The trained reward model (PPO/RLOO/GRPO, best-of-N, RM evaluation).</summary>
    public const string RewardModel = "reward_model";

    /// <summary>Member <paramref name="index"/> (from 0, in the grid's order) of a reward-model ensemble, in place of
    /// <see cref="RewardModel"/>: one role each, because a node has one input per role.</summary>
    public static string EnsembleMember(int index) => RewardModel + "." + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The ensemble members among <paramref name="roles"/>, in member order.</summary>
    public static IReadOnlyList<string> EnsembleMembers(IEnumerable<string> roles)
    {
        var set = roles.ToHashSet(StringComparer.Ordinal);
        var members = new List<string>();
        while (set.Contains(EnsembleMember(members.Count))) members.Add(EnsembleMember(members.Count));
        return members;
    }
}

/// <summary>
/// An input of a node: another node (<see cref="NodeId"/>), or an existing file or folder outside the lab
/// (<see cref="ExternalPath"/>). <see cref="Hash"/> is what enters the node's key: the upstream node's id, or the
/// content hash of the external file or folder.
/// </summary>
public sealed record NodeInput(string Role, string? NodeId, string? ExternalPath, string Hash)
{
    public static NodeInput Node(string role, LabNode node) => new(role, node.Id, null, node.Id);
    public static NodeInput External(string role, string path, string contentHash) => new(role, null, path, "sha256:" + contentHash);
}

/// <summary>
/// One unit of work in the lab's DAG. <see cref="Id"/> is the first 16 hex digits of the SHA-256 of the canonical
/// JSON of {kind, executor fingerprint, settings (file paths replaced by their content hashes), inputs (role →
/// upstream id or content hash)}: the same work in any grid of a lab folder has the same id and is computed once.
/// Its outputs live in <c>LAB/work/KIND/ID/</c>.
/// </summary>
public sealed class LabNode
{
    public LabNode(string id, NodeKind kind, Settings settings, IReadOnlyList<NodeInput> inputs, string label)
    {
        Id = id;
        Kind = kind;
        Settings = settings;
        Inputs = inputs;
        Label = label;
    }

    public string Id { get; }
    public NodeKind Kind { get; }

    /// <summary>What to run, as the trainer's option names (data, binarize, lr, beta, seed, ...). File paths are absolute;
    /// <c>world:NAME</c> references are resolved with <see cref="NodeWork.File"/>.</summary>
    public Settings Settings { get; }
    public IReadOnlyList<NodeInput> Inputs { get; }

    /// <summary>A short human description ("dpo uf-mean seed 1"), from the first run that needed the node.</summary>
    public string Label { get; }

    /// <summary>The output folder relative to the lab folder: <c>work/KIND/ID</c>.</summary>
    public string Folder => Path.Combine("work", Kind.Name(), Id);

    public IEnumerable<string> UpstreamIds => Inputs.Where(i => i.NodeId is not null).Select(i => i.NodeId!);

    public override string ToString() => $"{Kind.Name()} {Id} ({Label})";
}
