using System.Net;
using PrefLab.Runtime;

namespace PrefLab.Serving;

/// <summary>What <c>preflab serve</c> serves and how. A bad value is a <see cref="UserError"/> naming the option.</summary>
public sealed record ServeOptions
{
    /// <summary>Model folders: causal LMs (chat and text completions) and reward models (rewards). A model's id is
    /// its folder's name.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>The address to bind: an IP address, or "localhost" (loopback). Loopback unless told otherwise, so a
    /// model is not exposed to the network by accident.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (the URL says which).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>When set, every request needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body in bytes (413 beyond it).</summary>
    public long MaxRequestBytes { get; init; } = 1 << 20;

    /// <summary>Largest <c>max_tokens</c> a request may ask for; also the default of chat completions.</summary>
    public int MaxTokensLimit { get; init; } = 512;

    /// <summary>Most sequences decoded in one batch (a request with n choices counts n).</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>The chat format of every model (null: each folder's own template, as generate and eval find it).</summary>
    public string? ChatFormat { get; init; }

    public void Validate()
    {
        if (Models.Count == 0) throw UserError.InOption("model", "give at least one model folder");
        foreach (string folder in Models)
            if (!Directory.Exists(folder)) throw UserError.InOption("model", $"{folder}: no such folder");
        var ids = Models.Select(ModelId).ToList();
        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
            throw UserError.InOption("model", $"two model folders have the same name ({string.Join(", ", ids)}); a model's id is its folder's name");
        ParseHost(Host);
        if (Port < 0 || Port > 65535) throw UserError.InOption("port", $"must be 0 (any free port) to 65535, not {Port}");
        if (ApiKey is not null && ApiKey.Length == 0) throw UserError.InOption("api-key", "must not be empty");
        if (MaxRequestBytes < 1024) throw UserError.InOption("max-request-bytes", $"must be at least 1024, not {MaxRequestBytes}");
        if (MaxTokensLimit < 1) throw UserError.InOption("max-tokens-limit", $"must be at least 1, not {MaxTokensLimit}");
        if (MaxBatch < 1) throw UserError.InOption("max-batch", $"must be at least 1, not {MaxBatch}");
    }

    /// <summary>A model folder's id: its last path component.</summary>
    public static string ModelId(string folder) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));

    public static IPAddress ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        return IPAddress.TryParse(host, out var address) ? address
            : throw UserError.InOption("host", $"'{host}' is not an IP address (give e.g. 127.0.0.1, 0.0.0.0, ::1 or localhost)");
    }
}
