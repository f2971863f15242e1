using PrefLab.World.Knowledge;
using PrefLab.World.Language;
using PrefLab.World.Tasks;

namespace PrefLab.World.Scoring;

/// <summary>Thrown when a prompt is not one of the World's (the judge only knows the prompts it emitted).</summary>
public sealed class UnknownPromptException(string prompt)
    : ArgumentException($"the World has no task with the prompt '{Shorten(prompt)}' (gold scores exist only for prompts this world emitted)")
{
    public string Prompt { get; } = prompt;
    static string Shorten(string p) => p.Length <= 120 ? p : p[..117] + "...";
}

/// <summary>
/// The gold judge: scores any response to any prompt the World emitted, exactly and deterministically.
/// The prompt is the user message text as emitted (whitespace is normalized, nothing else); the response is
/// the assistant's text (special tokens such as &lt;/s&gt; are ignored). Thread-safe (read-only after
/// construction), so reward computation may call it in parallel.
/// </summary>
public sealed class GoldJudge
{
    readonly Dictionary<string, WorldTask> tasks = new(StringComparer.Ordinal);

    public GoldJudge(KnowledgeBase knowledge, IEnumerable<WorldTask> allTasks)
    {
        Knowledge = knowledge;
        foreach (var task in allTasks)
        {
            if (tasks.TryGetValue(task.Prompt, out var existing))
            {
                // A prompt determines its task; two different tasks behind one prompt would be a generator bug.
                if (existing.GetType() != task.GetType() || existing.Reference != task.Reference)
                    throw new InvalidOperationException($"two different tasks share the prompt '{task.Prompt}'");
                continue;
            }
            tasks.Add(task.Prompt, task);
        }
    }

    public KnowledgeBase Knowledge { get; }

    /// <summary>Number of distinct prompts the judge knows.</summary>
    public int PromptCount => tasks.Count;

    public bool Knows(string prompt) => tasks.ContainsKey(WorldText.Normalize(prompt));

    /// <summary>The task behind a prompt (its category, family, reference answer and what it checks).</summary>
    public WorldTask TaskFor(string prompt) =>
        tasks.TryGetValue(WorldText.Normalize(prompt), out var task) ? task : throw new UnknownPromptException(prompt);

    public GoldScore Score(string prompt, string response) => Score(TaskFor(prompt), response);

    public GoldScore Score(WorldTask task, string response)
    {
        var analysis = ResponseAnalysis.Of(response);
        return task switch
        {
            ReasoningTask t => ReasoningScorer.Score(t, analysis),
            FactualTask t => FactScorer.Score(t, analysis, Knowledge),
            TruthfulnessTask t => FactScorer.Score(t, analysis, Knowledge),
            InstructionTask t => InstructionScorer.Score(t, analysis),
            CodingTask t => CodingScorer.Score(t, analysis),
            SafetyTask t => SafetyScorer.Score(t, analysis),
            HelpfulnessTask t => HelpfulnessScorer.Score(t, analysis, Knowledge),
            _ => throw new ArgumentException($"no scorer for {task.GetType().Name}", nameof(task)),
        };
    }

    /// <summary>Which response has the higher overall gold score (ties within 1e-9 are ties).</summary>
    public Preference Prefer(string prompt, string a, string b)
    {
        var task = TaskFor(prompt);
        double difference = Score(task, a).Overall - Score(task, b).Overall;
        return Math.Abs(difference) < 1e-9 ? Preference.Tie : difference > 0 ? Preference.A : Preference.B;
    }
}
