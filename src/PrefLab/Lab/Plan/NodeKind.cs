namespace PrefLab.Lab.Plan;

/// <summary>The kinds of work a lab computes; each is a node of the DAG, keyed by a content hash of its inputs.</summary>
public enum NodeKind
{
    /// <summary>Generate the Preference World (settings: seed, scale, ...).</summary>
    World,
    /// <summary>Pretrain a base model (preset, data, trainer options, seed).</summary>
    Pretrain,
    /// <summary>Supervised fine-tuning of the base model (data, trainer options, seed).</summary>
    Sft,
    /// <summary>Train a reward model from an SFT model (data, binarize, preset, trainer options, seed).</summary>
    RewardModel,
    /// <summary>Evaluate a reward model: accuracy per subset and agreement with gold.</summary>
    RmEvaluation,
    /// <summary>Train a policy from the SFT model: DPO (and variants), PPO, RLOO, GRPO.</summary>
    Policy,
    /// <summary>Best-of-N sampling from the SFT model with a reward model, scored on the evaluation suite.</summary>
    BestOfN,
    /// <summary>Evaluate a model on the evaluation suite, item by item.</summary>
    Evaluation,
}

public static class NodeKinds
{
    /// <summary>The folder name under <c>LAB/work/</c> and the name in the store.</summary>
    public static string Name(this NodeKind kind) => kind switch
    {
        NodeKind.World => "world",
        NodeKind.Pretrain => "pretrain",
        NodeKind.Sft => "sft",
        NodeKind.RewardModel => "reward_model",
        NodeKind.RmEvaluation => "rm_evaluation",
        NodeKind.Policy => "policy",
        NodeKind.BestOfN => "best_of_n",
        NodeKind.Evaluation => "evaluation",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static NodeKind Parse(string name)
    {
        foreach (var kind in Enum.GetValues<NodeKind>())
            if (kind.Name() == name) return kind;
        throw new FormatException($"'{name}' is not a node kind");
    }

    /// <summary>Nodes whose result is an evaluation the store imports item by item.</summary>
    public static bool ProducesEvaluation(this NodeKind kind) => kind is NodeKind.Evaluation or NodeKind.BestOfN;

    /// <summary>Nodes that train (their folder is a run directory with metrics.jsonl).</summary>
    public static bool Trains(this NodeKind kind) =>
        kind is NodeKind.Pretrain or NodeKind.Sft or NodeKind.RewardModel or NodeKind.Policy;
}
