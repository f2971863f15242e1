using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace PrefLab.Models.Config;

/// <summary>
/// Rotary position embedding parameters: <c>rope_theta</c> and <c>rope_scaling</c> (types "default", "linear"
/// and "llama3"; any other type is refused by name). <see cref="InverseFrequencies"/> follows Hugging Face's
/// <c>_compute_default_rope_parameters</c> / <c>_compute_llama3_parameters</c> in float32.
/// </summary>
public sealed record RopeConfig
{
    public double Theta { get; init; } = 10000.0;
    /// <summary>"default", "linear" or "llama3".</summary>
    public string Type { get; init; } = "default";
    public double Factor { get; init; } = 1.0;
    public double LowFreqFactor { get; init; } = 1.0;
    public double HighFreqFactor { get; init; } = 4.0;
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    static readonly string[] Supported = { "default", "linear", "llama3" };

    internal static RopeConfig Read(ConfigReader reader, double defaultTheta)
    {
        // transformers 5 writes rope_parameters {rope_type, rope_theta, ...}; 4.x writes rope_theta + rope_scaling.
        string field = reader.Has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        double theta = reader.Double("rope_theta", defaultTheta);
        var node = reader.Get(field);
        if (reader.Has("partial_rotary_factor") && reader.Double("partial_rotary_factor", 1.0) != 1.0)
            throw reader.Error("partial_rotary_factor", "partial rotary embeddings are not supported");
        if (node is null) return new RopeConfig { Theta = theta };
        if (node is not JsonObject scaling) throw reader.Error(field, "must be an object or null");
        var sub = new ConfigReader(scaling, $"{reader.Path}: {field}");
        theta = sub.Double("rope_theta", theta);
        string type = sub.String("rope_type") ?? sub.String("type") ?? "default";
        if (!Supported.Contains(type))
            throw reader.Error(field, $"rope type '{type}' is not supported (supported: {string.Join(", ", Supported)})");
        if (type == "default") return new RopeConfig { Theta = theta };
        double factor = sub.Double("factor", double.NaN);
        if (!(factor >= 1.0)) throw reader.Error(field, $"rope type '{type}' needs a 'factor' of at least 1");
        if (type == "linear") return new RopeConfig { Theta = theta, Type = type, Factor = factor };
        foreach (string key in new[] { "low_freq_factor", "high_freq_factor", "original_max_position_embeddings" })
            if (!sub.Has(key)) throw reader.Error(field, $"rope type 'llama3' needs '{key}'");
        var rope = new RopeConfig
        {
            Theta = theta,
            Type = type,
            Factor = factor,
            LowFreqFactor = sub.Double("low_freq_factor", 1.0),
            HighFreqFactor = sub.Double("high_freq_factor", 4.0),
            OriginalMaxPositionEmbeddings = sub.PositiveInt("original_max_position_embeddings", 8192),
        };
        if (!(rope.HighFreqFactor > rope.LowFreqFactor))
            throw reader.Error(field, "high_freq_factor must be larger than low_freq_factor");
        return rope;
    }

    /// <summary>The <c>rope_scaling</c> value to save (null for the default).</summary>
    internal JsonNode? ScalingJson() => Type switch
    {
        "default" => null,
        "linear" => new JsonObject { ["rope_type"] = "linear", ["factor"] = Factor },
        _ => new JsonObject
        {
            ["rope_type"] = "llama3",
            ["factor"] = Factor,
            ["low_freq_factor"] = LowFreqFactor,
            ["high_freq_factor"] = HighFreqFactor,
            ["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings,
        },
    };

    /// <summary>inv_freq [headDim/2], float32, computed with the same float32 tensor operations as Hugging Face.</summary>
    public Tensor InverseFrequencies(int headDim)
    {
        using var scope = NewDisposeScope();
        // inv_freq = 1 / base ** (arange(0, dim, 2).float() / dim)
        var exponents = arange(0, headDim, 2, dtype: ScalarType.Int64).to(ScalarType.Float32) / headDim;
        var invFreq = 1.0f / pow(tensor((float)Theta), exponents);
        if (Type == "linear") invFreq = invFreq / (float)Factor;
        if (Type == "llama3")
        {
            double lowFreqWavelen = OriginalMaxPositionEmbeddings / LowFreqFactor;
            double highFreqWavelen = OriginalMaxPositionEmbeddings / HighFreqFactor;
            var wavelen = (float)(2 * Math.PI) / invFreq;
            // Wavelengths longer than the low-frequency bound are divided by the factor, shorter than the
            // high-frequency bound kept, the band between interpolated smoothly.
            var scaled = where(wavelen.gt(lowFreqWavelen), invFreq / (float)Factor, invFreq);
            var smooth = ((float)OriginalMaxPositionEmbeddings / wavelen - (float)LowFreqFactor) / (float)(HighFreqFactor - LowFreqFactor);
            var smoothed = (1 - smooth) * scaled / (float)Factor + smooth * scaled;
            var medium = wavelen.ge(highFreqWavelen).logical_and(wavelen.le(lowFreqWavelen));
            invFreq = where(medium, smoothed, scaled);
        }
        return invFreq.MoveToOuterDisposeScope();
    }
}
