using PrefLab.World.Language;

namespace PrefLab.World;

/// <summary>
/// Finds whether any of a set of prompts occurs, token for token, inside a text. The eval prompts' index keeps
/// them out of every training file: a training prompt is redrawn when an eval prompt is part of it (instruction
/// prompts can extend one another), and the generator checks every training text once more before writing.
/// </summary>
public sealed class PromptIndex
{
    readonly Dictionary<(string, string), List<string[]>> byStart = new();

    public PromptIndex(IEnumerable<string> prompts)
    {
        foreach (string prompt in prompts)
        {
            var tokens = WorldText.Tokens(prompt);
            if (tokens.Length < 2) throw new ArgumentException($"prompt too short to index: '{prompt}'", nameof(prompts));
            var key = (tokens[0], tokens[1]);
            if (!byStart.TryGetValue(key, out var list)) byStart[key] = list = [];
            list.Add(tokens);
        }
    }

    /// <summary>The first indexed prompt that occurs inside <paramref name="text"/>, or null.</summary>
    public string? FindIn(string text)
    {
        var tokens = WorldText.Tokens(text);
        for (int i = 0; i + 1 < tokens.Length; i++)
        {
            if (!byStart.TryGetValue((tokens[i], tokens[i + 1]), out var candidates)) continue;
            foreach (var prompt in candidates)
            {
                if (i + prompt.Length > tokens.Length) continue;
                int k = 2;
                while (k < prompt.Length && tokens[i + k] == prompt[k]) k++;
                if (k == prompt.Length) return string.Join(' ', prompt);
            }
        }
        return null;
    }

    public bool OccursIn(string text) => FindIn(text) is not null;
}
