using static TorchSharp.torch;

namespace PrefLab.Models.Config;

/// <summary>The activation functions named by Hugging Face configs that PrefLab implements.</summary>
public static class Activations
{
    public static readonly IReadOnlyList<string> Supported = new[] { "silu", "swish", "gelu", "gelu_new", "gelu_pytorch_tanh", "relu" };

    internal static string Check(ConfigReader reader, string field, string name) =>
        Supported.Contains(name) ? name
        : throw reader.Error(field, $"activation '{name}' is not supported (supported: {string.Join(", ", Supported)})");

    /// <summary>Applies the activation called <paramref name="name"/> (a name from <see cref="Supported"/>).</summary>
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "silu" or "swish" => nn.functional.silu(x),
        "gelu" => nn.functional.gelu(x),
        // gelu_new (GPT-2) is the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
        "gelu_new" or "gelu_pytorch_tanh" => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => nn.functional.relu(x),
        _ => throw new ArgumentException($"activation '{name}' is not supported", nameof(name)),
    };
}
