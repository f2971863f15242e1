namespace PrefLab.Data.Records;

/// <summary>A demonstration conversation for supervised fine-tuning; the loss covers its assistant turns.
/// A prompt + completion row becomes the prompt's messages followed by the completion's.</summary>
public sealed record SftExample(IReadOnlyList<Message> Messages) : DataRecord
{
    public bool Equals(SftExample? other) =>
        other is not null && base.Equals(other) && MessageList.SequenceEqual(Messages, other.Messages);

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), MessageList.SequenceHash(Messages));
}
