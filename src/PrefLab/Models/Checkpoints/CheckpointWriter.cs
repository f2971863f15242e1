using System.Text.Json.Nodes;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models.Checkpoints;

/// <summary>
/// Writes weights the way <c>save_pretrained</c> does: one <c>model.safetensors</c>, or, when the total exceeds
/// the shard limit, <c>model-0000i-of-0000n.safetensors</c> files filled in order up to the limit plus
/// <c>model.safetensors.index.json</c>. Each file is written atomically; weight files of an earlier save that
/// the new one does not use are removed afterwards.
/// </summary>
public static class CheckpointWriter
{
    /// <summary>Hugging Face's default <c>max_shard_size</c> ("5GB").</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <param name="tensors">Name and tensor in save order, already in the dtype to store.</param>
    public static void Write(string folder, IReadOnlyList<(string Name, Tensor Tensor)> tensors, long maxShardBytes = DefaultMaxShardBytes)
    {
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes));
        Directory.CreateDirectory(folder);
        var shards = new List<List<(string, Tensor)>> { new() };
        long current = 0, total = 0;
        foreach (var entry in tensors)
        {
            long bytes = entry.Tensor.NumberOfElements * entry.Tensor.ElementSize;
            if (current > 0 && current + bytes > maxShardBytes)
            {
                shards.Add(new());
                current = 0;
            }
            shards[^1].Add(entry);
            current += bytes;
            total += bytes;
        }
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (shards.Count == 1)
        {
            SafeTensorsWriter.Write(Path.Combine(folder, Checkpoint.SingleFileName), shards[0]);
            written.Add(Checkpoint.SingleFileName);
        }
        else
        {
            var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < shards.Count; i++)
            {
                string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                SafeTensorsWriter.Write(Path.Combine(folder, name), shards[i]);
                written.Add(name);
                foreach (var (tensorName, _) in shards[i]) weightMap[tensorName] = name;
            }
            var index = new JsonObject
            {
                ["metadata"] = new JsonObject { ["total_size"] = total },
                ["weight_map"] = new JsonObject(weightMap.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            };
            AtomicFile.WriteAllText(Path.Combine(folder, Checkpoint.IndexFileName), index.ToJsonString(JsonOptions.Indented) + "\n");
            written.Add(Checkpoint.IndexFileName);
        }
        RemoveStale(folder, written);
    }

    static void RemoveStale(string folder, HashSet<string> keep)
    {
        foreach (string path in Directory.EnumerateFiles(folder))
        {
            string name = Path.GetFileName(path);
            bool weightFile = name == Checkpoint.SingleFileName || name == Checkpoint.IndexFileName
                || (name.StartsWith("model-", StringComparison.Ordinal) && name.EndsWith(".safetensors", StringComparison.Ordinal));
            if (weightFile && !keep.Contains(name)) File.Delete(path);
        }
    }
}
