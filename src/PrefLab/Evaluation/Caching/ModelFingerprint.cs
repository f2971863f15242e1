using PrefLab.Models;
using PrefLab.Runtime;

namespace PrefLab.Evaluation.Caching;

/// <summary>
/// The content hash of what decides a model's outputs: config.json, generation_config.json (EOS ids), the weight
/// files (*.safetensors and a shard index) and the tokenizer files (they turn tokens into the response text), each
/// hashed by <see cref="ContentHasher"/>; the fingerprint is the SHA-256 of the sorted "name, hash" list. Other
/// files (run.json, metrics, checkpoints/) do not count, so a copied or re-logged model keeps its fingerprint and
/// any change to its weights changes it.
/// </summary>
public static class ModelFingerprint
{
    public static string Of(string modelFolder, IFileHashCache? memo = null)
    {
        if (!Directory.Exists(modelFolder)) throw new UserError($"{modelFolder}: model folder not found");
        var hasher = new ContentHasher(memo);
        var names = Directory.EnumerateFiles(modelFolder)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(Counts)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (!names.Any(n => n.EndsWith(".safetensors", StringComparison.Ordinal)))
            throw new UserError($"{modelFolder}: holds no *.safetensors weights");
        var listing = new System.Text.StringBuilder();
        foreach (string name in names)
            listing.Append(name).Append('\0').Append(hasher.HashFile(Path.Combine(modelFolder, name))).Append('\n');
        return ContentHasher.Sha256Hex(listing.ToString());
    }

    static bool Counts(string name) =>
        !AtomicFile.IsTemporary(name) &&
        (name == ModelFolder.ConfigFileName || name == ModelFolder.GenerationConfigFileName ||
         name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".safetensors.index.json", StringComparison.Ordinal) ||
         ModelFolder.TokenizerFileNames.Contains(name));
}
