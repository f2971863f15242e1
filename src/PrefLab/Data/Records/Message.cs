namespace PrefLab.Data.Records;

/// <summary>One turn of a conversation, as chat templates and Hugging Face datasets write it:
/// <c>{"role": "user", "content": "..."}</c>. Roles are lower case (<see cref="Roles"/>).</summary>
public sealed record Message(string Role, string Content)
{
    public static Message System(string content) => new(Roles.System, content);
    public static Message User(string content) => new(Roles.User, content);
    public static Message Assistant(string content) => new(Roles.Assistant, content);

    public override string ToString() => $"{Role}: {Content}";
}

/// <summary>The role names every reader produces (HH's "Human"/"Assistant" become user/assistant).</summary>
public static class Roles
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";
}

/// <summary>Value semantics and small helpers for message lists (records compare lists by reference).</summary>
public static class MessageList
{
    public static bool SequenceEqual(IReadOnlyList<Message>? a, IReadOnlyList<Message>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));

    public static int SequenceHash(IReadOnlyList<Message>? messages)
    {
        var hash = new HashCode();
        if (messages is not null) foreach (var message in messages) hash.Add(message);
        return hash.ToHashCode();
    }

    /// <summary>The messages up to and including the last user turn: what a model is asked to continue.
    /// Empty when there is no user turn.</summary>
    public static IReadOnlyList<Message> UpToLastUserTurn(IReadOnlyList<Message> messages)
    {
        for (int i = messages.Count - 1; i >= 0; i--)
            if (messages[i].Role == Roles.User) return messages.Take(i + 1).ToArray();
        return Array.Empty<Message>();
    }

    /// <summary>Length of the longest common prefix of two message lists (role and content equal).</summary>
    public static int CommonPrefixLength(IReadOnlyList<Message> a, IReadOnlyList<Message> b)
    {
        int n = 0;
        while (n < a.Count && n < b.Count && a[n] == b[n]) n++;
        return n;
    }

    public static bool StartsWith(IReadOnlyList<Message> messages, IReadOnlyList<Message> prefix) =>
        prefix.Count <= messages.Count && CommonPrefixLength(messages, prefix) == prefix.Count;
}
