using PrefLab.Runtime;

namespace PrefLab.Models.Lora;

/// <summary>What <see cref="LoraMerge.Run"/> wrote.</summary>
public sealed record LoraMergeResult(string Output, int MergedLayers, long AdapterParameters);

/// <summary><c>preflab lora merge</c>: base model + PEFT adapter → a plain model folder with W + (alpha/r) B A.</summary>
public static class LoraMerge
{
    /// <summary>Loads <paramref name="baseFolder"/>, attaches the adapter of <paramref name="adapterFolder"/>, merges it
    /// and writes config, weights, generation config and tokenizer files (the adapter folder's when it has them, else
    /// the base's) to <paramref name="output"/>, built under a temporary name and renamed into place.</summary>
    public static LoraMergeResult Run(string baseFolder, string adapterFolder, string output)
    {
        TorchRuntime.EnsureLoaded();
        if (File.Exists(Path.Combine(output, ModelFolder.ConfigFileName)) || File.Exists(Path.Combine(output, LoraConfig.ConfigFileName)))
            throw UserError.InOption("output", $"{output} already holds a model; choose a new folder");
        using var model = CausalLM.Load(baseFolder);
        var adapters = LoraAdapters.Load(model, adapterFolder);
        int layers = adapters.Targets.Count;
        long parameters = adapters.TrainableParameterCount;
        adapters.MergeIntoBase();
        bool adapterHasTokenizer = File.Exists(Path.Combine(adapterFolder, "tokenizer.json"));
        AtomicFile.WriteDirectory(output, folder =>
        {
            model.Save(folder);
            ModelFolder.CopyTokenizerFiles(adapterHasTokenizer ? adapterFolder : baseFolder, folder);
        });
        return new LoraMergeResult(Path.GetFullPath(output), layers, parameters);
    }
}
