using PrefLab.Runtime;

namespace PrefLab.Models.Presets;

/// <summary><c>preflab init-model</c>'s work: a randomly initialised model of a preset's shape, in Hugging Face layout,
/// with the tokenizer's files beside it (the tokenizer sets the vocabulary size and the BOS/EOS/PAD ids).</summary>
public static class PresetModel
{
    /// <returns>One line saying what was made (shape, vocabulary, parameters).</returns>
    public static string Create(string preset, string tokenizerFolder, string outputFolder, long seed)
    {
        string tokenizerDir = Path.GetFullPath(tokenizerFolder), outputDir = Path.GetFullPath(outputFolder);
        if (!File.Exists(Path.Combine(tokenizerDir, "tokenizer.json")))
            throw UserError.InOption("tokenizer", $"{tokenizerDir} has no tokenizer.json");
        if (Directory.Exists(outputDir) && Directory.EnumerateFileSystemEntries(outputDir).Any())
            throw UserError.InOption("output", $"{outputDir} exists and is not empty");
        var facts = TokenizerFacts.Read(tokenizerDir);
        var config = ModelPresets.Create(preset, facts);
        TorchRuntime.EnsureLoaded();
        using var model = CausalLM.Create(config, seed);
        AtomicFile.WriteDirectory(outputDir, folder =>
        {
            model.Save(folder);
            ModelFolder.CopyTokenizerFiles(tokenizerDir, folder);
        });
        return $"{outputDir}: {config.ModelType} preset {preset}, vocabulary {config.VocabSize}, " +
            $"{model.NonEmbeddingParameterCount:N0} non-embedding + {model.EmbeddingParameterCount:N0} embedding = {model.ParameterCount:N0} parameters";
    }
}
