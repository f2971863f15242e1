namespace PrefLab.Lab.Grid;

/// <summary>The learning algorithms a grid can name (the paper's second component), plus <see cref="Sft"/>:
/// the SFT model itself, evaluated as a reference row.</summary>
public enum AlgorithmType
{
    Sft,
    Dpo,
    /// <summary>KTO: offline, from labelled completions or pairs split into them, like DPO from the run's dataset.</summary>
    Kto,
    Ppo,
    Rloo,
    Grpo,
    /// <summary>Online (iterative) DPO: DPO on best-vs-worst pairs of the policy's own samples, judged by the reward model.</summary>
    OnlineDpo,
    BestOfN,
}

/// <summary>
/// Which grid factors each algorithm uses. A factor an algorithm does not use is dropped from its runs, so a
/// DPO run is never duplicated across reward models or prompt sets. Online RL and best-of-N learn from the
/// preference data only through their reward model, so for them the run's dataset is the reward model's.
/// </summary>
public static class AlgorithmTypes
{
    public static string Name(this AlgorithmType type) => type switch
    {
        AlgorithmType.Sft => "sft",
        AlgorithmType.Dpo => "dpo",
        AlgorithmType.Kto => "kto",
        AlgorithmType.Ppo => "ppo",
        AlgorithmType.Rloo => "rloo",
        AlgorithmType.Grpo => "grpo",
        AlgorithmType.OnlineDpo => "online-dpo",
        AlgorithmType.BestOfN => "best-of-n",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static IReadOnlyList<AlgorithmType> All { get; } = Enum.GetValues<AlgorithmType>();

    public static bool TryParse(string name, out AlgorithmType type)
    {
        foreach (var candidate in All)
            if (string.Equals(candidate.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                type = candidate;
                return true;
            }
        // Accept the spellings people use for best-of-N.
        if (name.ToLowerInvariant() is "bon" or "best_of_n" or "bestofn")
        {
            type = AlgorithmType.BestOfN;
            return true;
        }
        if (name.ToLowerInvariant() is "online_dpo" or "iterative-dpo")
        {
            type = AlgorithmType.OnlineDpo;
            return true;
        }
        type = default;
        return false;
    }

    /// <summary>The offline preference algorithms (DPO, KTO), by name: the report's analyses of preference data and
    /// of online vs offline learning treat them alike.</summary>
    public static IReadOnlyList<string> OfflineNames { get; } = ["dpo", "kto"];

    /// <summary>Learns directly from preference data (the dataset is its training data): DPO and KTO.</summary>
    public static bool UsesPreferenceData(this AlgorithmType type) => type is AlgorithmType.Dpo or AlgorithmType.Kto;

    /// <summary>Needs a reward model (trained, or the World's gold scorer).</summary>
    public static bool UsesRewardModel(this AlgorithmType type) =>
        type is AlgorithmType.Ppo or AlgorithmType.Rloo or AlgorithmType.Grpo or AlgorithmType.OnlineDpo or AlgorithmType.BestOfN;

    /// <summary>Samples from a prompt set while training (online RL).</summary>
    public static bool UsesPrompts(this AlgorithmType type) =>
        type is AlgorithmType.Ppo or AlgorithmType.Rloo or AlgorithmType.Grpo or AlgorithmType.OnlineDpo;

    /// <summary>Produces a trained policy (a policy node) that is then evaluated.</summary>
    public static bool TrainsPolicy(this AlgorithmType type) =>
        type is AlgorithmType.Dpo or AlgorithmType.Kto or AlgorithmType.Ppo or AlgorithmType.Rloo or AlgorithmType.Grpo or AlgorithmType.OnlineDpo;
}
