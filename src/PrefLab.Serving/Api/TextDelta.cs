namespace PrefLab.Serving.Api;

/// <summary>
/// The text of one streamed choice, handed out as it grows. What could still change is held back: a trailing
/// U+FFFD (a byte-level token that ends inside a character) and any tail that begins a stop string (the stop, once
/// complete, is cut and never sent). The final text (the generator's, cut at the stop) completes what was sent.
/// </summary>
public sealed class TextDelta(IReadOnlyList<string> stops)
{
    readonly List<int> tokens = new();
    int sent;

    /// <summary>Adds a token; returns the text now safe to send (may be empty).</summary>
    public string Add(int token, Func<IReadOnlyList<int>, string> decode)
    {
        tokens.Add(token);
        string text = decode(tokens);
        int safe = text.Length;
        while (safe > 0 && text[safe - 1] == '\uFFFD') safe--;
        foreach (string stop in stops)
            for (int k = Math.Min(stop.Length - 1, safe); k > 0; k--)
                if (string.CompareOrdinal(text, safe - k, stop, 0, k) == 0)
                {
                    safe -= k;
                    break;
                }
        return Take(text, safe);
    }

    /// <summary>The rest of <paramref name="final"/> after what was sent.</summary>
    public string Finish(string final) => Take(final, final.Length);

    string Take(string text, int end)
    {
        if (end <= sent) return "";
        string delta = text[sent..end];
        sent = end;
        return delta;
    }
}
