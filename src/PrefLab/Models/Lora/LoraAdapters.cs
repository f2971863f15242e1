using PrefLab.Models.Checkpoints;
using PrefLab.Runtime;
using TorchSharp.Modules;
using Linear = PrefLab.Models.Layers.Linear;
using static TorchSharp.torch;

namespace PrefLab.Models.Lora;

/// <summary>One targeted layer: its module path in the model (Hugging Face's, e.g. model.layers.0.self_attn.q_proj).</summary>
public sealed record LoraTarget(string Path, Linear Layer, LoraAdapter Adapter);

/// <summary>
/// The LoRA adapters of one model, attached to its targeted <see cref="Linear"/> layers (the one matmul seam, so
/// no module is replaced and a model without adapters computes exactly what it did). Attaching freezes every base
/// parameter; <see cref="Parameters"/> are the only trainable tensors. The set saves and loads in PEFT's layout
/// (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c> with keys
/// <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> / <c>.lora_B.weight</c>), switches all adapters off
/// for a reference forward (<see cref="Disabled"/>), and merges W + (alpha/r) B A into the base weights.
/// </summary>
public sealed class LoraAdapters : IDisposable
{
    /// <summary>PEFT's prefix of every saved key: PeftModel.base_model (LoraModel) .model (the transformers model).</summary>
    public const string KeyPrefix = "base_model.model.";

    readonly PretrainedModel model;
    readonly LoraSwitch toggle;
    bool disposed;

    LoraAdapters(PretrainedModel model, LoraConfig config, LoraSwitch toggle, IReadOnlyList<LoraTarget> targets)
    {
        this.model = model; Config = config; this.toggle = toggle; Targets = targets;
        TargetNames = targets.Select(t => ShortName(t.Path)).Distinct().ToList();
    }

    public LoraConfig Config { get; }
    public IReadOnlyList<LoraTarget> Targets { get; }
    /// <summary>The short module names adapted (what adapter_config.json's target_modules lists).</summary>
    public IReadOnlyList<string> TargetNames { get; }

    public bool Enabled
    {
        get => toggle.Enabled;
        set => toggle.Enabled = value;
    }

    /// <summary>The adapters' tensors, the only ones the optimizer should see.</summary>
    public IEnumerable<Parameter> Parameters => Targets.SelectMany(t => new[] { t.Adapter.A.Weight, t.Adapter.B.Weight });

    /// <summary>Trainable parameters: r (in + out) per targeted layer.</summary>
    public long TrainableParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>Every adapter tensor under its PEFT key.</summary>
    public IEnumerable<(string Key, Parameter Tensor)> NamedParameters => Targets.SelectMany(t => new[]
    {
        (KeyPrefix + t.Path + ".lora_A.weight", t.Adapter.A.Weight),
        (KeyPrefix + t.Path + ".lora_B.weight", t.Adapter.B.Weight),
    });

    /// <summary>Adapters off until disposed (the reference forward: the base model, no second copy).</summary>
    public IDisposable Disabled()
    {
        bool was = toggle.Enabled;
        toggle.Enabled = false;
        return new Restore(() => toggle.Enabled = was);
    }

    /// <summary>
    /// Attaches new adapters (A Kaiming-uniform from the named stream of <paramref name="seed"/>, B zeros) to the
    /// layers <paramref name="config"/> targets and freezes the model's own parameters. An unknown target name is an
    /// error naming <c>--lora-target-modules</c> and listing the model's linear layers.
    /// </summary>
    public static LoraAdapters Attach(PretrainedModel model, LoraConfig config, long seed)
    {
        var adapters = Create(model, config.Validate());
        using var generator = Seeding.TorchStream(seed, "lora-init");
        foreach (var target in adapters.Targets) target.Adapter.Initialize(generator);
        return adapters;
    }

    /// <summary>Attaches the adapter saved in <paramref name="folder"/> (PEFT layout) to <paramref name="model"/>.</summary>
    public static LoraAdapters Load(PretrainedModel model, string folder)
    {
        var config = LoraConfig.Read(folder);
        LoraAdapters adapters;
        try
        {
            adapters = Create(model, config.Validate());
        }
        catch (UserError e)
        {
            throw new UserError($"{Path.Combine(folder, LoraConfig.ConfigFileName)}: {e.Message}");
        }
        try
        {
            adapters.ReloadWeights(folder);
            return adapters;
        }
        catch
        {
            adapters.Dispose();
            throw;
        }
    }

    static LoraAdapters Create(PretrainedModel model, LoraConfig config)
    {
        var linears = model.named_modules().Where(m => m.module is Linear).Select(m => (m.name, Layer: (Linear)m.module)).ToList();
        var requested = config.TargetModules ?? LoraConfig.DefaultTargets(model.Config.ModelType);
        List<(string Path, Linear Layer)> chosen;
        if (requested.Count == 1 && string.Equals(requested[0], LoraConfig.AllLinear, StringComparison.OrdinalIgnoreCase))
        {
            // PEFT's all-linear: every linear layer except the output head.
            chosen = linears.Where(l => l.name != "lm_head" && l.name != "score").Select(l => (l.name, l.Layer)).ToList();
        }
        else
        {
            foreach (string name in requested)
                if (!linears.Any(l => Matches(l.name, name)))
                    throw UserError.InOption("lora-target-modules", $"'{name}' matches no linear layer of this {model.Config.ModelType} model (its linear layers: {string.Join(", ", linears.Select(l => ShortName(l.name)).Distinct())}; or {LoraConfig.AllLinear})");
            chosen = linears.Where(l => requested.Any(name => Matches(l.name, name))).Select(l => (l.name, l.Layer)).ToList();
        }
        if (chosen.Count == 0) throw UserError.InOption("lora-target-modules", "selects no linear layer of this model");
        foreach (var (path, layer) in chosen)
            if (layer.Adapter is not null) throw new InvalidOperationException($"{path} already has a LoRA adapter");

        var toggle = new LoraSwitch();
        var targets = new List<LoraTarget>();
        foreach (var (path, layer) in chosen)
        {
            long inFeatures = layer.InputMajor ? layer.Weight.shape[0] : layer.Weight.shape[1];
            long outFeatures = layer.InputMajor ? layer.Weight.shape[1] : layer.Weight.shape[0];
            var adapter = new LoraAdapter(inFeatures, outFeatures, config.R, config.Scaling, config.Dropout, layer.Precision, toggle);
            layer.Adapter = adapter;
            targets.Add(new LoraTarget(path, layer, adapter));
        }
        foreach (var parameter in model.parameters()) parameter.requires_grad = false;
        return new LoraAdapters(model, config, toggle, targets);
    }

    // PEFT's rule for a list of names: the module path equals the name or ends with "." + name.
    static bool Matches(string path, string name) => path == name || path.EndsWith("." + name, StringComparison.Ordinal);

    static string ShortName(string path) => path[(path.LastIndexOf('.') + 1)..];

    /// <summary>adapter_config.json and adapter_model.safetensors (float32) in PEFT's layout, each written atomically.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        using (var scope = NewDisposeScope())
        {
            var tensors = NamedParameters.Select(p => (p.Key, p.Tensor.detach().contiguous())).ToList();
            SafeTensorsWriter.Write(Path.Combine(folder, LoraConfig.WeightsFileName), tensors);
        }
        bool fanInFanOut = Targets.Any(t => t.Layer.InputMajor); // GPT-2's Conv1D, as PEFT sets it
        AtomicFile.WriteAllText(Path.Combine(folder, LoraConfig.ConfigFileName),
            Config.ToJson(TargetNames, fanInFanOut).ToJsonString(JsonOptions.Indented) + "\n");
    }

    /// <summary>Copies the adapter weights saved in <paramref name="folder"/> into these adapters in place (resume):
    /// every key must be present with its shape, and no other key.</summary>
    public void ReloadWeights(string folder)
    {
        string path = Path.Combine(folder, LoraConfig.WeightsFileName);
        if (!File.Exists(path)) throw new UserError($"{folder}: no {LoraConfig.WeightsFileName}");
        using var file = SafeTensorsFile.Open(path);
        var expected = NamedParameters.ToDictionary(p => p.Key, p => p.Tensor);
        foreach (string key in file.Tensors.Keys)
            if (!expected.ContainsKey(key)) throw new UserError($"{path}: unexpected tensor '{key}' (this adapter targets {string.Join(", ", TargetNames)})");
        using var noGrad = no_grad();
        foreach (var (key, parameter) in expected)
        {
            if (!file.Tensors.TryGetValue(key, out var info)) throw new UserError($"{path}: missing tensor '{key}'");
            if (!info.Shape.SequenceEqual(parameter.shape))
                throw new UserError($"{path}: tensor '{key}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", parameter.shape)}]");
            using var stored = file.Read(key);
            using var asFloat = stored.to(parameter.dtype);
            parameter.copy_(asFloat);
        }
    }

    /// <summary>Adds (alpha/r) B A to each targeted weight in place and detaches the adapters: the model is then a
    /// plain model computing what base + adapters did.</summary>
    public void MergeIntoBase()
    {
        using (var noGrad = no_grad())
            foreach (var target in Targets) AddDelta(target, 1);
        Dispose();
    }

    /// <summary>Saves the model with merged weights (W + (alpha/r) B A) into <paramref name="folder"/>, leaving the
    /// live weights and adapters exactly as they were (each targeted weight is restored from a copy).</summary>
    public void SaveMerged(string folder, ModelSaveOptions? options = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var originals = Targets.Select(t => t.Layer.Weight.detach().clone()).ToList();
        try
        {
            foreach (var target in Targets) AddDelta(target, 1);
            model.Save(folder, options);
        }
        finally
        {
            for (int i = 0; i < Targets.Count; i++) Targets[i].Layer.Weight.copy_(originals[i]);
        }
    }

    static void AddDelta(LoraTarget target, double sign)
    {
        using var delta = target.Adapter.DeltaWeight();       // [out, in]
        var weight = target.Layer.Weight;
        if (target.Layer.InputMajor)
        {
            using var transposed = delta.t();
            weight.add_(transposed, sign);
        }
        else
        {
            weight.add_(delta, sign);
        }
    }

    /// <summary>Detaches and frees the adapters (the base stays frozen).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var target in Targets)
        {
            if (ReferenceEquals(target.Layer.Adapter, target.Adapter)) target.Layer.Adapter = null;
            target.Adapter.Dispose();
        }
    }

    sealed class Restore(Action restore) : IDisposable
    {
        bool done;
        public void Dispose()
        {
            if (done) return;
            done = true;
            restore();
        }
    }
}
