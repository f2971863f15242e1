using PrefLab.World.Language;

namespace PrefLab.World.Knowledge;

/// <summary>A statement a response makes: "tom lives in dorn" claims (tom, home, dorn).</summary>
public sealed record Claim(Entity Subject, WorldAttribute Attribute, string Value)
{
    /// <summary>True when the knowledge base holds exactly this fact (claims about phantoms never are).</summary>
    public bool IsTrue(KnowledgeBase kb) => kb.FactOf(Subject, Attribute)?.Value == Value;
}

/// <summary>
/// Reads the factual claims out of any response, robustly enough for a policy's free-running output: each
/// sentence's subject is its first person or creature, or a town in subject position (else the entity the
/// prompt is about), and each value word
/// after it becomes a claim for the one attribute of the subject's kind whose domain holds it. Negated
/// sentences ("not", "no", "never") claim nothing; reported speech ("people say ...") claims only what follows
/// "in fact". Numbers need their cue word (age: "old"/"age"/"years"; legs: "legs"); best friends need "friend".
/// </summary>
public static class Claims
{
    static readonly HashSet<string> Negations = ["not", "no", "never"];
    static readonly HashSet<string> Reporting = ["say", "says", "think", "thinks"];

    public static List<Claim> Extract(IReadOnlyList<string> tokens, KnowledgeBase kb, Entity? defaultSubject)
    {
        var claims = new List<Claim>();
        foreach (var sentence in Sentences(tokens))
        {
            var words = sentence;
            if (words.Any(Negations.Contains)) continue;
            if (words.Any(Reporting.Contains))
            {
                int fact = words.LastIndexOf("fact");
                if (fact < 0) continue;
                words = words.Skip(fact + 1).ToList();
            }
            int subjectAt = SubjectIndex(words, kb);
            var subject = subjectAt >= 0 ? kb.Find(words[subjectAt])! : defaultSubject;
            if (subject is null) continue;
            var attributes = WorldAttribute.Of(subject.Kind);
            for (int i = subjectAt + 1; i < words.Count; i++)
            {
                string word = words[i];
                if (WorldText.IsDigit(word))
                {
                    int end = i;
                    while (end + 1 < words.Count && WorldText.IsDigit(words[end + 1])) end++;
                    string number = string.Join(' ', words.Skip(i).Take(end - i + 1));
                    i = end;
                    var numeric = subject.Kind switch
                    {
                        EntityKind.Person when words.Contains("old") || words.Contains("age") || words.Contains("years") => WorldAttribute.Age,
                        EntityKind.Creature when words.Contains("legs") => WorldAttribute.Legs,
                        _ => null,
                    };
                    if (numeric is not null) claims.Add(new Claim(subject, numeric, number));
                    continue;
                }
                if (subject.Kind == EntityKind.Person && kb.Find(word) is { Kind: EntityKind.Person } other && other != subject)
                {
                    if (words.Contains("friend") || words.Contains("friends"))
                        claims.Add(new Claim(subject, WorldAttribute.Friend, other.Name));
                    continue;
                }
                foreach (var attribute in attributes)
                {
                    if (attribute.IsNumeric || attribute == WorldAttribute.Friend) continue;
                    if (attribute.Values.Contains(word)) { claims.Add(new Claim(subject, attribute, word)); break; }
                }
            }
        }
        return claims;
    }

    /// <summary>
    /// The sentence's subject: its first person or creature; failing that a town, but only where towns are
    /// subjects ("dorn is big", "the people of dorn ...") — a town after "in" or "from" is a value ("lives in
    /// dorn"), and the sentence is then about the default subject. -1 when there is none.
    /// </summary>
    static int SubjectIndex(List<string> words, KnowledgeBase kb)
    {
        int living = words.FindIndex(w => kb.Find(w) is { Kind: not EntityKind.Town });
        if (living >= 0) return living;
        return words.FindIndex(w => kb.Find(w) is { Kind: EntityKind.Town })
            is int town and >= 0 && (town == 0 || words[town - 1] == "of") ? town : -1;
    }

    /// <summary>Token lists between sentence ends (".", "?", "!").</summary>
    public static List<List<string>> Sentences(IReadOnlyList<string> tokens)
    {
        var sentences = new List<List<string>>();
        var current = new List<string>();
        foreach (string token in tokens)
        {
            if (token is "." or "?" or "!")
            {
                if (current.Count > 0) sentences.Add(current);
                current = [];
            }
            else current.Add(token);
        }
        if (current.Count > 0) sentences.Add(current);
        return sentences;
    }
}
