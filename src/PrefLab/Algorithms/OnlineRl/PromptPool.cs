using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Data.Records;
using PrefLab.Runtime;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// The training prompts, rendered with the policy's chat format (generation prompt included). Prompts longer
/// than the limit are dropped and counted. Rollout batches walk through seeded permutations of the pool, one per
/// epoch, continuing into the next epoch mid-batch: batch s holds positions [s·n, (s+1)·n) of that endless
/// sequence, so the data position is a pure function of the update number and a resumed run needs no other state.
/// </summary>
public sealed class PromptPool
{
    readonly long seed;
    readonly Dictionary<long, int[]> permutations = new();

    PromptPool(IReadOnlyList<PromptRecord> records, IReadOnlyList<int[]> ids, long seed, JsonObject report)
    {
        Records = records;
        Ids = ids;
        this.seed = seed;
        Report = report;
    }

    public IReadOnlyList<PromptRecord> Records { get; }
    /// <summary>The rendered prompt ids (ending with the assistant header).</summary>
    public IReadOnlyList<int[]> Ids { get; }
    public int Count => Records.Count;
    /// <summary>For run.json: the file, rows read and skipped, prompts kept and dropped by reason.</summary>
    public JsonObject Report { get; }

    public static PromptPool Load(string path, ReadOptions read, ChatTokenizer chat, int maxPromptLength, long seed)
    {
        if (!File.Exists(path)) throw UserError.InOption("prompts", $"file not found: {path}");
        var stream = DatasetReader.ReadPrompts(path, read);
        var collation = new CollationReport();
        var records = new List<PromptRecord>();
        var ids = new List<int[]>();
        foreach (var record in stream)
        {
            var rendered = chat.Prompt(record.Messages);
            if (rendered.Length > maxPromptLength)
            {
                collation.Drop("longer than --max-prompt-length");
                continue;
            }
            collation.Keep(truncated: false);
            records.Add(record);
            ids.Add(rendered);
        }
        var report = new JsonObject
        {
            ["file"] = Path.GetFullPath(path),
            ["read"] = stream.Report.ToJson(),
            ["tokenization"] = collation.ToJson(),
            ["max_prompt_length"] = maxPromptLength,
            ["chat_format"] = chat.Format.Name,
        };
        if (records.Count == 0)
            throw UserError.InOption("prompts", $"{path}: no prompts left ({collation}); raise --max-prompt-length or check the file");
        return new PromptPool(records, ids, seed, report);
    }

    /// <summary>The pool indices of update <paramref name="step"/>'s <paramref name="size"/> prompts (0-based step).</summary>
    public int[] Batch(long step, int size)
    {
        var batch = new int[size];
        for (int i = 0; i < size; i++)
        {
            long position = step * size + i;
            batch[i] = Permutation(position / Count)[position % Count];
        }
        return batch;
    }

    /// <summary>Passes over the pool completed before update <paramref name="step"/> (fractional).</summary>
    public double EpochAt(long step, int size) => (double)step * size / Count;

    int[] Permutation(long epoch)
    {
        if (permutations.TryGetValue(epoch, out var cached)) return cached;
        if (permutations.Count > 4) permutations.Clear();
        var order = Enumerable.Range(0, Count).ToArray();
        var random = Seeding.Stream(seed, $"online-rl/prompts/{epoch}");
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        permutations[epoch] = order;
        return order;
    }
}
