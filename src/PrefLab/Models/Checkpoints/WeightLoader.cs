using System.Text.RegularExpressions;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models.Checkpoints;

/// <summary>
/// Copies a checkpoint's tensors into a model's parameters by Hugging Face name. A checkpoint may omit the
/// backbone prefix (Hugging Face's GPT-2 files have <c>h.0...</c> instead of <c>transformer.h.0...</c>; a base
/// <c>LlamaModel</c> has no <c>model.</c>). A missing or unexpected tensor, a wrong shape or a non-float dtype is a
/// <see cref="UserError"/> naming the tensor and file. Buffers Hugging Face itself ignores (rotary inv_freq,
/// GPT-2's attn.bias / attn.masked_bias masks) are skipped.
/// </summary>
public static partial class WeightLoader
{
    [GeneratedRegex(@"(^|\.)rotary_emb\.inv_freq$|(^|\.)h\.\d+\.attn\.(bias|masked_bias)$")]
    private static partial Regex IgnoredBuffer();

    /// <param name="backbonePrefix">"model" or "transformer".</param>
    /// <param name="headNames">Top-level names outside the backbone that the model has or may skip (lm_head.weight, score.weight).</param>
    /// <param name="skip">Canonical names to skip (e.g. lm_head.weight when the head is tied or replaced).</param>
    /// <param name="ignore">Checkpoint names (canonical) to pass over without reading (a head being replaced).</param>
    /// <param name="absent">Parameters the checkpoint does not have and the caller initialises (a new score head).</param>
    /// <returns>The tensors skipped through <paramref name="skip"/>, read as stored, for the caller to check (owned by the caller).</returns>
    public static Dictionary<string, Tensor> Load(nn.Module model, Checkpoint checkpoint, string backbonePrefix,
        IReadOnlySet<string> headNames, IReadOnlySet<string> skip, IReadOnlySet<string>? absent = null, IReadOnlySet<string>? ignore = null)
    {
        var parameters = model.named_parameters().Where(p => absent is null || !absent.Contains(p.name))
            .ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var source = new Dictionary<string, string>(StringComparer.Ordinal); // canonical -> checkpoint name
        var unexpected = new List<string>();
        var skipped = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in checkpoint.Names.OrderBy(n => n, StringComparer.Ordinal))
        {
            string canonical = parameters.ContainsKey(name) || headNames.Contains(name) || name.StartsWith(backbonePrefix + ".", StringComparison.Ordinal)
                ? name : backbonePrefix + "." + name;
            if (IgnoredBuffer().IsMatch(canonical) || ignore?.Contains(canonical) == true) continue;
            if (skip.Contains(canonical))
            {
                skipped[canonical] = checkpoint.Read(name);
                continue;
            }
            if (!parameters.ContainsKey(canonical)) { unexpected.Add(name); continue; }
            if (source.TryGetValue(canonical, out string? other))
                throw new UserError($"{checkpoint.Folder}: tensors '{other}' and '{name}' both give '{canonical}'");
            source[canonical] = name;
        }
        if (unexpected.Count > 0)
            throw new UserError($"{checkpoint.FileOf(unexpected[0])}: unexpected tensor{(unexpected.Count > 1 ? "s" : "")} " +
                $"{string.Join(", ", unexpected.Take(5).Select(n => $"'{n}'"))}{(unexpected.Count > 5 ? $" and {unexpected.Count - 5} more" : "")}: not a parameter of this {model.GetName()} model");
        var missing = parameters.Keys.Where(n => !source.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new UserError($"{checkpoint.Folder}: missing tensor{(missing.Count > 1 ? "s" : "")} " +
                $"{string.Join(", ", missing.Take(5).Select(n => $"'{n}'"))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}");
        using var noGrad = no_grad();
        foreach (var (canonical, parameter) in parameters)
        {
            string name = source[canonical];
            var info = checkpoint.Info(name);
            if (!info.Shape.SequenceEqual(parameter.shape))
                throw new UserError($"{checkpoint.FileOf(name)}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}] but the config gives [{string.Join(", ", parameter.shape)}]");
            if (info.DType is not ("F32" or "F16" or "BF16" or "F64"))
                throw new UserError($"{checkpoint.FileOf(name)}: tensor '{name}' is {info.DType}, not a floating type");
            using var stored = checkpoint.Read(name);
            parameter.copy_(stored);
        }
        return skipped;
    }
}
