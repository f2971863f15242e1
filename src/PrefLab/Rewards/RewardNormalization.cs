using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrefLab.Runtime;

namespace PrefLab.Rewards;

/// <summary>
/// The reward normalisation stored with a reward model, in <c>reward_normalization.json</c> beside its
/// config.json (config.json stays a plain Hugging Face config): r' = (r - mean) / std, fitted so that a
/// policy's samples score mean 0 and (population) standard deviation 1. PPO and best-of-N get it through
/// <see cref="RewardModel"/>, which applies it by default.
/// </summary>
/// <param name="Samples">How many responses the fit saw.</param>
/// <param name="FittedOn">What the responses were (file, policy, prompts, counts), as recorded when fitted.</param>
public sealed record RewardNormalization(double Mean, double Std, long Samples, JsonObject? FittedOn = null)
{
    public const string FileName = "reward_normalization.json";

    public RewardNormalizer Normalizer => new(Mean, Std);

    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    /// <summary>Fits mean and population std of raw rewards (see <see cref="RewardNormalizer.Fit"/>).</summary>
    public static RewardNormalization Fit(IReadOnlyList<double> rawRewards, JsonObject? fittedOn = null)
    {
        using var samples = TorchSharp.torch.tensor(rawRewards.ToArray());
        var normalizer = RewardNormalizer.Fit(samples);
        return new RewardNormalization(normalizer.Mean, normalizer.Std, rawRewards.Count, fittedOn);
    }

    /// <summary>The normalisation stored in a reward model folder, or null when there is none.</summary>
    public static RewardNormalization? Read(string folder)
    {
        string path = PathIn(folder);
        if (!File.Exists(path)) return null;
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new UserError($"{path}: must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not valid JSON: {e.Message}");
        }
        double mean = Number(json, "mean", path), std = Number(json, "std", path);
        if (!double.IsFinite(mean)) throw UserError.InFile(path, 1, "mean", $"must be a finite number, not {mean}");
        if (!(std > 0) || !double.IsFinite(std)) throw UserError.InFile(path, 1, "std", $"must be a positive number, not {std}");
        long samples = json["samples"] is JsonValue s && s.TryGetValue(out long n) ? n : 0;
        return new RewardNormalization(mean, std, samples, json["fitted_on"]?.DeepClone() as JsonObject);
    }

    /// <summary>Writes <see cref="FileName"/> into <paramref name="folder"/> atomically.</summary>
    public void Write(string folder)
    {
        var json = new JsonObject
        {
            ["mean"] = Mean,
            ["std"] = Std,
            ["samples"] = Samples,
            ["formula"] = "normalized = (reward - mean) / std; std is the population standard deviation of the fitted samples",
            ["fitted_on"] = FittedOn?.DeepClone(),
            ["fitted_at"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
        AtomicFile.WriteAllText(PathIn(folder), json.ToJsonString(JsonOptions.Indented) + "\n");
    }

    static double Number(JsonObject json, string field, string path)
    {
        if (json[field] is JsonValue value && value.GetValueKind() == JsonValueKind.Number) return value.GetValue<double>();
        throw UserError.InFile(path, 1, field, "missing or not a number");
    }
}
