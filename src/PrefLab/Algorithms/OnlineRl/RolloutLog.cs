using System.Text.Json.Nodes;
using PrefLab.Data.Records;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>What the rollout log records about one sample besides its prompt and response.</summary>
/// <param name="Score">The reward function's score (before the missing-EOS penalty).</param>
/// <param name="Reward">The sequence reward the algorithm used (the score, or the penalty without EOS).</param>
/// <param name="Kl">Σ_t kl_t of the sample against the reference (the run's estimator).</param>
public sealed record SampleRecord(double Score, double Reward, double Kl);

/// <summary>
/// <c>OUT/rollouts.jsonl</c>: every sample of a logged update, one compact object a line:
/// {"step", "prompt", "response", "score", "reward", "kl", "eos", "tokens"[, "gold"]}. Appended and flushed per
/// update; on resume, lines after the checkpoint's update are dropped (as metrics.jsonl).
/// </summary>
public sealed class RolloutLog
{
    public const string FileName = "rollouts.jsonl";

    public RolloutLog(string runFolder) => Path = System.IO.Path.Combine(runFolder, FileName);

    public string Path { get; }

    public void Append(long step, Rollout rollout, IReadOnlyList<SampleRecord> samples)
    {
        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var writer = new StreamWriter(stream);
        for (int i = 0; i < rollout.Rows; i++)
        {
            var sequence = rollout.Generation[i];
            var prompt = rollout.Prompts[i];
            var line = new JsonObject
            {
                ["step"] = step,
                ["prompt"] = prompt.Count == 1 && prompt[0].Role == Roles.User
                    ? JsonValue.Create(prompt[0].Content)
                    : new JsonArray(prompt.Select(m => (JsonNode?)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray()),
                ["response"] = sequence.Text ?? "",
                ["score"] = JsonValues.From(samples[i].Score),
                ["reward"] = JsonValues.From(samples[i].Reward),
                ["kl"] = JsonValues.From(samples[i].Kl),
                ["eos"] = sequence.FinishReason == Generation.FinishReason.Eos,
                ["tokens"] = sequence.Length,
            };
            if (rollout.Gold is { } gold) line["gold"] = JsonValues.From(gold[i]);
            writer.Write(line.ToJsonString(JsonOptions.Compact));
            writer.Write('\n');
        }
        writer.Flush();
    }

    /// <summary>Keeps the lines of updates up to <paramref name="step"/> (resume).</summary>
    public void TruncateAfter(long step) => StepLines.KeepThrough(Path, step);
}
