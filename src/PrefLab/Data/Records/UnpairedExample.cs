namespace PrefLab.Data.Records;

/// <summary>
/// One completion of a prompt with a binary label, as TRL's unpaired preference format has it (KTO's data): a
/// <see cref="Desirable"/> completion is one to make more likely, an undesirable one less. Completions are message
/// lists ending with an assistant turn, usually that one turn. A preference pair gives two: its chosen completion
/// (desirable) and its rejected one (undesirable).
/// </summary>
public sealed record UnpairedExample(IReadOnlyList<Message> Prompt, IReadOnlyList<Message> Completion, bool Desirable) : DataRecord
{
    /// <summary>Prompt followed by the completion.</summary>
    public IReadOnlyList<Message> Conversation => Prompt.Concat(Completion).ToArray();

    /// <summary>The two examples of a pair, chosen (desirable) first, each carrying the pair's metadata.</summary>
    public static (UnpairedExample Chosen, UnpairedExample Rejected) FromPair(PreferencePair pair) =>
        (Carry(new UnpairedExample(pair.Prompt, pair.Chosen, true), pair), Carry(new UnpairedExample(pair.Prompt, pair.Rejected, false), pair));

    static UnpairedExample Carry(UnpairedExample example, PreferencePair from) =>
        example with { Id = from.Id, Source = from.Source, Category = from.Category, Subset = from.Subset, Origin = from.Origin };

    public bool Equals(UnpairedExample? other) =>
        other is not null && base.Equals(other) && Desirable == other.Desirable &&
        MessageList.SequenceEqual(Prompt, other.Prompt) && MessageList.SequenceEqual(Completion, other.Completion);

    public override int GetHashCode() =>
        HashCode.Combine(base.GetHashCode(), MessageList.SequenceHash(Prompt), MessageList.SequenceHash(Completion), Desirable);
}
