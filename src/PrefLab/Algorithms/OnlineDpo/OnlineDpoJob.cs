using PrefLab.Algorithms.OnlineRl;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Algorithms.OnlineDpo;

/// <summary>Runs online DPO (<c>preflab online-dpo</c>, and the lab) on the shared online loop. The run folder gets
/// the trained policy (Hugging Face layout) at its root.</summary>
public static class OnlineDpoJob
{
    public static TrainingResult Run(OnlineDpoJobOptions options)
    {
        TorchRuntime.EnsureLoaded();
        using var session = OnlineRlSession.Open(options);
        using var objective = new OnlineDpoObjective(session, options);
        return OnlineTrainer.Run(session, objective);
    }
}
