using PrefLab.Algorithms.OnlineRl;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Algorithms.GroupRl;

/// <summary>Runs RLOO or GRPO (<c>preflab rloo</c> / <c>preflab grpo</c>, and the lab) on the shared online loop.
/// The run folder gets the trained policy (Hugging Face layout) at its root.</summary>
public static class GroupRlJob
{
    public static TrainingResult Run(GroupRlJobOptions options)
    {
        TorchRuntime.EnsureLoaded();
        using var session = OnlineRlSession.Open(options);
        using var objective = new GroupRlObjective(session, options);
        return OnlineTrainer.Run(session, objective);
    }
}
