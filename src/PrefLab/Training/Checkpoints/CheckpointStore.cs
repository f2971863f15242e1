using System.Text.Json;
using PrefLab.Runtime;
using TorchSharp;

namespace PrefLab.Training.Checkpoints;

/// <summary>
/// <c>OUT/checkpoints/step-N/</c>: the model (Hugging Face layout, loadable with --model), each optimizer's
/// state, and <c>trainer_state.json</c>. Each checkpoint folder appears complete or not at all (built under a
/// temporary name, then renamed); only the last K are kept.
/// </summary>
public sealed class CheckpointStore
{
    public const string StateFile = "trainer_state.json";
    const string Prefix = "step-";

    public CheckpointStore(string folder, int keep)
    {
        Folder = folder;
        Keep = keep;
    }

    public string Folder { get; }
    public int Keep { get; }

    public string PathOf(long step) => Path.Combine(Folder, Prefix + step);

    /// <summary>Steps of the complete checkpoints present, ascending.</summary>
    public IReadOnlyList<long> Steps()
    {
        if (!Directory.Exists(Folder)) return Array.Empty<long>();
        return Directory.GetDirectories(Folder)
            .Where(d => !AtomicFile.IsTemporary(d))
            .Select(Path.GetFileName)
            .Where(n => n!.StartsWith(Prefix, StringComparison.Ordinal) && long.TryParse(n[Prefix.Length..], out _))
            .Select(n => long.Parse(n![Prefix.Length..], System.Globalization.CultureInfo.InvariantCulture))
            .Where(s => File.Exists(Path.Combine(PathOf(s), StateFile)))
            .OrderBy(s => s)
            .ToList();
    }

    public long? Latest => Steps() is { Count: > 0 } steps ? steps[^1] : null;

    /// <param name="saveModel">Writes the model into the folder it is given.</param>
    /// <param name="optimizers">Named optimizers (e.g. "policy", "value").</param>
    public void Save(TrainerState state, Action<string> saveModel, IReadOnlyDictionary<string, torch.optim.Optimizer> optimizers)
    {
        AtomicFile.WriteDirectory(PathOf(state.Step), folder =>
        {
            saveModel(folder);
            foreach (var (name, optimizer) in optimizers)
            {
                using var stream = File.Create(Path.Combine(folder, $"optimizer-{name}.bin"));
                using var writer = new BinaryWriter(stream);
                ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
            }
            File.WriteAllText(Path.Combine(folder, StateFile), JsonSerializer.Serialize(state, JsonOptions.Indented));
        });
        foreach (long old in Steps().SkipLast(Keep))
            Directory.Delete(PathOf(old), recursive: true);
    }

    public TrainerState ReadState(long step)
    {
        string path = Path.Combine(PathOf(step), StateFile);
        return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path))
            ?? throw new UserError($"{path}: empty checkpoint state");
    }

    public void LoadOptimizers(long step, IReadOnlyDictionary<string, torch.optim.Optimizer> optimizers)
    {
        foreach (var (name, optimizer) in optimizers)
        {
            string path = Path.Combine(PathOf(step), $"optimizer-{name}.bin");
            if (!File.Exists(path)) throw new UserError($"{PathOf(step)}: checkpoint has no optimizer state '{name}'");
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
        }
    }

    public static string CaptureTorchRng()
    {
        using var state = torch.get_rng_state();
        return Convert.ToBase64String(state.data<byte>().ToArray());
    }

    public static void RestoreTorchRng(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        using var state = torch.tensor(bytes, dtype: torch.ScalarType.Byte);
        torch.set_rng_state(state);
    }
}
