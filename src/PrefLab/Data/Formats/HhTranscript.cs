using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Formats;

/// <summary>
/// Anthropic HH-style transcripts: turns introduced by "\n\nHuman: " and "\n\nAssistant: " (the space after the
/// colon optional; a transcript may also open with "Human: " at its very start). Contents are kept verbatim
/// between markers. Text inside a turn that itself contains a marker is split there, as every HH reader does.
/// </summary>
internal static class HhTranscript
{
    const string Human = "\n\nHuman:";
    const string Assistant = "\n\nAssistant:";

    public static bool LooksLikeTranscript(string text) =>
        text.Contains(Human, StringComparison.Ordinal) || text.StartsWith("Human:", StringComparison.Ordinal);

    /// <summary>The transcript's turns as user/assistant messages.</summary>
    public static List<Message> Parse(string transcript, string field)
    {
        string text = transcript.StartsWith("Human:", StringComparison.Ordinal) ? "\n\n" + transcript : transcript;
        var messages = new List<Message>();
        int position = NextMarker(text, 0, out string? marker);
        if (marker is null || text[..position].Trim().Length > 0)
            throw new RowError(field, "expected a transcript of \"\\n\\nHuman: \" and \"\\n\\nAssistant: \" turns",
                marker is null ? "found no Human turn" : "found text before the first Human turn");
        while (marker is not null)
        {
            int start = position + marker.Length;
            if (start < text.Length && text[start] == ' ') start++;
            int next = NextMarker(text, start, out string? nextMarker);
            string content = text[start..(nextMarker is null ? text.Length : next)];
            messages.Add(new Message(marker == Human ? Roles.User : Roles.Assistant, content));
            position = next;
            marker = nextMarker;
        }
        return messages;
    }

    static int NextMarker(string text, int from, out string? marker)
    {
        int human = text.IndexOf(Human, from, StringComparison.Ordinal);
        int assistant = text.IndexOf(Assistant, from, StringComparison.Ordinal);
        if (human < 0 && assistant < 0)
        {
            marker = null;
            return text.Length;
        }
        if (assistant < 0 || (human >= 0 && human < assistant))
        {
            marker = Human;
            return human;
        }
        marker = Assistant;
        return assistant;
    }
}
