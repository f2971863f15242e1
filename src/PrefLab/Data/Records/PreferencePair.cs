namespace PrefLab.Data.Records;

/// <summary>
/// One preference: a shared conversation prefix (<see cref="Prompt"/>, ending with the user turn in the usual
/// case) and two completions of it, the preferred <see cref="Chosen"/> and the <see cref="Rejected"/> one.
/// Completions are message lists, usually one final assistant turn; multi-turn completions occur when the two
/// conversations diverge earlier (e.g. multi-turn Chatbot Arena battles).
/// </summary>
public sealed record PreferencePair(IReadOnlyList<Message> Prompt, IReadOnlyList<Message> Chosen, IReadOnlyList<Message> Rejected)
    : DataRecord
{
    /// <summary>Score of chosen minus score of rejected, in the units of the score the format carries (mean
    /// rating, overall score, rank difference, upvotes, ...); null when the format has no scores.</summary>
    public double? Margin { get; init; }

    /// <summary>Prompt followed by the chosen completion (what a reward model scores).</summary>
    public IReadOnlyList<Message> ChosenConversation => Prompt.Concat(Chosen).ToArray();
    public IReadOnlyList<Message> RejectedConversation => Prompt.Concat(Rejected).ToArray();

    public bool Equals(PreferencePair? other) =>
        other is not null && base.Equals(other) && MessageList.SequenceEqual(Prompt, other.Prompt) &&
        MessageList.SequenceEqual(Chosen, other.Chosen) && MessageList.SequenceEqual(Rejected, other.Rejected) &&
        Margin == other.Margin;

    public override int GetHashCode() =>
        HashCode.Combine(base.GetHashCode(), MessageList.SequenceHash(Prompt), MessageList.SequenceHash(Chosen),
            MessageList.SequenceHash(Rejected), Margin);
}
