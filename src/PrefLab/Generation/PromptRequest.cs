namespace PrefLab.Generation;

/// <summary>
/// One prompt of a generation call with the settings that may differ between the sequences of one batch (a
/// server batches requests that agree on temperature and top-k/top-p but not on these). Null settings take the
/// call's <see cref="GenerationOptions"/>.
/// </summary>
/// <param name="Ids">The prompt's token ids, used as given (no BOS is added).</param>
public sealed record PromptRequest(int[] Ids)
{
    /// <summary>The sampling seed of this sequence (null: <see cref="GenerationOptions.Seed"/>).</summary>
    public long? Seed { get; init; }

    /// <summary>The sequence's key in its sampling stream (null: its index in the call's prompt list). Two sequences
    /// with the same seed and key draw the same uniforms, whatever batch they share.</summary>
    public long? SamplingKey { get; init; }

    /// <summary>At most this many new tokens (null: <see cref="GenerationOptions.MaxNewTokens"/>).</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>Stop strings of this sequence (null: <see cref="GenerationOptions.StopStrings"/>).</summary>
    public IReadOnlyList<string>? StopStrings { get; init; }
}
