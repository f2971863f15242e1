using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models.Checkpoints;

/// <summary>
/// The weights of a model folder as Hugging Face lays them out: <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c> (<c>weight_map</c>: tensor name -> shard file). Every shard's header is
/// validated on open; the index must name only existing shards and tensors those shards hold.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    readonly Dictionary<string, SafeTensorsFile> files;
    readonly Dictionary<string, SafeTensorsFile> owner; // tensor name -> file holding it

    Checkpoint(string folder, Dictionary<string, SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> owner, bool sharded)
    {
        Folder = folder;
        this.files = files;
        this.owner = owner;
        IsSharded = sharded;
    }

    public string Folder { get; }
    public bool IsSharded { get; }
    public IReadOnlyCollection<string> Names => owner.Keys;

    /// <summary>True when <paramref name="folder"/> holds weights in a form we read.</summary>
    public static bool Exists(string folder) =>
        File.Exists(Path.Combine(folder, SingleFileName)) || File.Exists(Path.Combine(folder, IndexFileName));

    public static Checkpoint Open(string folder)
    {
        string single = Path.Combine(folder, SingleFileName);
        string index = Path.Combine(folder, IndexFileName);
        if (File.Exists(single))
        {
            var file = SafeTensorsFile.Open(single);
            return new Checkpoint(folder, new() { [SingleFileName] = file },
                file.Tensors.Keys.ToDictionary(name => name, _ => file, StringComparer.Ordinal), sharded: false);
        }
        if (!File.Exists(index))
        {
            string hint = File.Exists(Path.Combine(folder, "pytorch_model.bin")) || File.Exists(Path.Combine(folder, "pytorch_model.bin.index.json"))
                ? " (pytorch_model.bin is not read: convert it to safetensors)" : "";
            throw new UserError($"{folder}: no weights: neither {SingleFileName} nor {IndexFileName}{hint}");
        }
        return OpenSharded(folder, index);
    }

    static Checkpoint OpenSharded(string folder, string index)
    {
        JsonObject? weightMap;
        try
        {
            weightMap = JsonNode.Parse(File.ReadAllText(index))?["weight_map"] as JsonObject;
        }
        catch (JsonException e)
        {
            throw new UserError($"{index}: not valid JSON: {e.Message}");
        }
        if (weightMap is null) throw new UserError($"{index}: field 'weight_map': missing or not an object");
        var files = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        var owner = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in weightMap)
            {
                string shard = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                    : throw new UserError($"{index}: field 'weight_map': tensor '{name}' has no file name");
                if (shard.Contains('/') || shard.Contains('\\') || shard.StartsWith('.'))
                    throw new UserError($"{index}: field 'weight_map': tensor '{name}': shard name '{shard}' must be a plain file name");
                if (!files.TryGetValue(shard, out var file))
                {
                    string shardPath = Path.Combine(folder, shard);
                    if (!File.Exists(shardPath)) throw new UserError($"{index}: tensor '{name}' is in shard '{shard}', which does not exist");
                    file = SafeTensorsFile.Open(shardPath);
                    files[shard] = file;
                }
                if (!file.Tensors.ContainsKey(name))
                    throw new UserError($"{index}: tensor '{name}' is listed in shard '{shard}', which does not hold it");
                owner[name] = file;
            }
        }
        catch
        {
            foreach (var file in files.Values) file.Dispose();
            throw;
        }
        return new Checkpoint(folder, files, owner, sharded: true);
    }

    public SafeTensorInfo Info(string name) => owner[name].Tensors[name];

    /// <summary>The file that holds <paramref name="name"/> (for messages).</summary>
    public string FileOf(string name) => owner[name].Path;

    /// <summary>Reads a tensor as stored.</summary>
    public Tensor Read(string name) =>
        owner.TryGetValue(name, out var file) ? file.Read(name) : throw new UserError($"{Folder}: no tensor '{name}'");

    public void Dispose()
    {
        foreach (var file in files.Values) file.Dispose();
    }
}
