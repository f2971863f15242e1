using PrefLab.Lab.Plan;

namespace PrefLab.Lab.Execution;

/// <summary>
/// Does the work of each node kind; the lab decides what to run, in what order, where, and whether to resume. An
/// implementation writes the node's outputs into <see cref="NodeWork.OutputFolder"/> (training nodes: a run
/// directory — the final model in Hugging Face layout, run.json, metrics.jsonl, checkpoints/), reads its inputs from
/// <see cref="NodeWork.Inputs"/>, and, when <see cref="NodeWork.Resume"/> is true, continues from the folder's last
/// checkpoint (the node was interrupted). It throws to fail the node; it throws
/// <see cref="OperationCanceledException"/> through <see cref="NodeWork.Cancellation"/> to stop, leaving the node to
/// be resumed by the next run. Methods are called one at a time.
/// </summary>
public interface ILabExecutor
{
    /// <summary>Enters every node id of this kind: change it when the code behind the kind changes what it computes
    /// (e.g. "preflab 0.2.0"), so stale results are not reused.</summary>
    string Fingerprint(NodeKind kind);

    /// <summary><see cref="NodeKind.World"/>: generate the Preference World (settings: seed, scale, ...) into the output folder.</summary>
    void GenerateWorld(NodeWork work);

    /// <summary><see cref="NodeKind.Pretrain"/>: pretrain a base model of settings["preset"] on settings["data"].</summary>
    void Pretrain(NodeWork work);

    /// <summary><see cref="NodeKind.Sft"/>: fine-tune inputs["base"] on settings["data"].</summary>
    void Sft(NodeWork work);

    /// <summary><see cref="NodeKind.RewardModel"/>: train a reward model from inputs["model"] on settings["data"]
    /// (binarized by settings["binarize"] when present).</summary>
    void TrainRewardModel(NodeWork work);

    /// <summary><see cref="NodeKind.RmEvaluation"/>: score held-out pairs (settings["suite"] = "world", or settings["data"])
    /// with inputs["reward_model"]; one verdict a pair.</summary>
    IReadOnlyList<PairVerdict> EvaluateRewardModel(NodeWork work);

    /// <summary><see cref="NodeKind.Policy"/>: train a policy of settings["algorithm"] (dpo, kto, ppo, rloo, grpo, online-dpo) from
    /// inputs["model"] (also the reference model): DPO on settings["data"]; online RL on settings["prompts"] with
    /// inputs["reward_model"], or the World's gold scorer when settings["reward"] is "gold".</summary>
    void TrainPolicy(NodeWork work);

    /// <summary><see cref="NodeKind.BestOfN"/>: for each prompt of the evaluation suite, sample settings["n"] responses
    /// from inputs["model"], keep the one inputs["reward_model"] (or gold) scores highest, and score it; one score an item.</summary>
    IReadOnlyList<ItemScore> BestOfN(NodeWork work);

    /// <summary><see cref="NodeKind.Evaluation"/>: score inputs["model"] on the suite (settings["suite"]: "world" or a
    /// file), one score an item, with settings["seed"] for any sampling.</summary>
    IReadOnlyList<ItemScore> Evaluate(NodeWork work);
}
