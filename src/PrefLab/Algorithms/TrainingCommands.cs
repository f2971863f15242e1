using PrefLab.Algorithms.Dpo;
using PrefLab.Algorithms.GroupRl;
using PrefLab.Algorithms.Kto;
using PrefLab.Algorithms.OnlineDpo;
using PrefLab.Algorithms.Ppo;
using PrefLab.Algorithms.RewardModeling;
using PrefLab.Algorithms.Sft;
using PrefLab.Runtime;
using PrefLab.Training.Commands;

namespace PrefLab.Algorithms;

/// <summary>Every training command the library declares, by the name a user types after <c>preflab</c>.</summary>
public static class TrainingCommands
{
    public static IReadOnlyList<ITrainingCommand> All { get; } =
    [
        SftCommand.Pretrain, SftCommand.Sft, RewardModelCommand.Instance, DpoCommand.Instance, KtoCommand.Instance,
        PpoCommand.Instance, GroupRlCommand.Rloo, GroupRlCommand.Grpo, OnlineDpoCommand.Instance,
    ];

    public static ITrainingCommand Named(string name) =>
        All.FirstOrDefault(c => c.Name == name) ?? throw new UserError($"no training command '{name}' (known: {string.Join(", ", All.Select(c => c.Name))})");
}
