namespace PrefLab.Data.Records;

/// <summary>A prompt for generation (online RL, best-of-N, evaluation): the conversation up to and including
/// its final user turn.</summary>
public sealed record PromptRecord(IReadOnlyList<Message> Messages) : DataRecord
{
    /// <summary>The prompt as one string when it is a single user turn; null otherwise.</summary>
    public string? SingleUserText => Messages.Count == 1 && Messages[0].Role == Roles.User ? Messages[0].Content : null;

    public bool Equals(PromptRecord? other) =>
        other is not null && base.Equals(other) && MessageList.SequenceEqual(Messages, other.Messages);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), MessageList.SequenceHash(Messages));
}
