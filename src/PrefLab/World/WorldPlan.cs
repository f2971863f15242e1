using PrefLab.Runtime;
using PrefLab.World.Datasets;
using PrefLab.World.Knowledge;
using PrefLab.World.Tasks;

namespace PrefLab.World;

/// <summary>
/// Which task goes in which file: the knowledge base, the held-out eval items, and the prompts of every
/// training file. Cheap to recompute (no responses, no annotations), which is how a world folder's gold judge
/// is rebuilt from its seed. Each file draws from its own named stream, so adding a file changes no other.
/// </summary>
public sealed class WorldPlan
{
    /// <summary>Share of factuality and truthfulness eval items that are multiple choice.</summary>
    public const double MultipleChoiceShare = 0.4;

    WorldPlan(long seed, WorldScale scale, KnowledgeBase kb, TaskSampler factory,
        Dictionary<string, IReadOnlyList<EvalItem>> eval, Dictionary<string, IReadOnlyList<WorldTask>> training)
    {
        Seed = seed; Scale = scale; Knowledge = kb; Factory = factory; Eval = eval; Training = training;
    }

    public long Seed { get; }
    public WorldScale Scale { get; }
    public WorldSize Size => WorldSize.Of(Scale);
    public KnowledgeBase Knowledge { get; }
    public TaskSampler Factory { get; }
    /// <summary>Eval items by category.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<EvalItem>> Eval { get; }
    /// <summary>Tasks by training file (<see cref="DatasetCatalog.TrainingFiles"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<WorldTask>> Training { get; }

    public IEnumerable<WorldTask> AllTasks =>
        WorldCategories.All.SelectMany(c => Eval[c].Select(e => e.Task))
            .Concat(DatasetCatalog.TrainingFiles.SelectMany(f => Training[f]));

    public static Random Stream(long seed, string component) => Seeding.Stream(seed, "world/" + component);

    /// <summary>A digest of the knowledge base and every planned prompt: world.json stores it, and loading a
    /// world checks that this code plans the same world from its seed.</summary>
    public string Fingerprint()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Knowledge.Fingerprint() + "\n"));
        foreach (var task in AllTasks) hash.AppendData(System.Text.Encoding.UTF8.GetBytes(task.Prompt + "\n"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static WorldPlan Create(long seed, WorldScale scale)
    {
        var size = WorldSize.Of(scale);
        var kb = KnowledgeBase.Generate(Stream(seed, "knowledge"));
        var factory = new TaskSampler(kb);

        var eval = new Dictionary<string, IReadOnlyList<EvalItem>>();
        var evalPrompts = new HashSet<string>(StringComparer.Ordinal);
        foreach (string category in WorldCategories.All)
        {
            var tasks = Draw(factory, CategoryMix.Of((category, 1.0)), size.EvalPerCategory, Stream(seed, "eval/" + category), TaskSplit.Eval, evalPrompts.Contains, allowRepeats: false);
            var choiceRng = Stream(seed, "eval/" + category + "/choices");
            bool hasChoices = category is WorldCategories.Factuality or WorldCategories.Truthfulness;
            var items = new List<EvalItem>();
            for (int i = 0; i < tasks.Count; i++)
            {
                string id = $"eval-{category}-{i + 1:D4}";
                if (hasChoices && i % 5 < (int)Math.Round(MultipleChoiceShare * 5))
                {
                    var (choices, answer) = MultipleChoice.Build(tasks[i], kb, choiceRng);
                    items.Add(new EvalItem(id, tasks[i], choices, answer));
                }
                else items.Add(new EvalItem(id, tasks[i], null, -1));
            }
            foreach (var item in items) evalPrompts.Add(item.Task.Prompt);
            eval[category] = items;
        }

        var training = new Dictionary<string, IReadOnlyList<WorldTask>>();
        var leaks = new PromptIndex(evalPrompts);
        foreach (string file in DatasetCatalog.TrainingFiles)
            training[file] = Draw(factory, DatasetCatalog.Mix(file), DatasetCatalog.Rows(file, size), Stream(seed, file + "/tasks"), TaskSplit.Train, leaks.OccursIn);
        return new WorldPlan(seed, scale, kb, factory, eval, training);
    }

    /// <summary>
    /// Draws <paramref name="total"/> tasks with exact per-category counts, distinct prompts within the file
    /// while the family has fresh ones (then repeats are allowed, unless <paramref name="allowRepeats"/> is
    /// false), never a prompt <paramref name="excluded"/> rejects; the categories are interleaved by a shuffle.
    /// </summary>
    public static List<WorldTask> Draw(TaskSampler factory, CategoryMix mix, int total, Random rng, TaskSplit split,
        Func<string, bool> excluded, bool allowRepeats = true)
    {
        const int FreshAttempts = 200, MaxAttempts = 100_000;
        var tasks = new List<WorldTask>(total);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (category, count) in mix.Apportion(total))
        {
            // Once a family runs out of fresh prompts for this file, later draws take repeats at once.
            bool exhausted = false;
            for (int k = 0; k < count; k++)
            {
                WorldTask? pick = null;
                for (int attempt = 0; attempt < MaxAttempts; attempt++)
                {
                    var task = factory.Sample(category, rng, split);
                    if (excluded(task.Prompt)) continue;
                    if (seen.Contains(task.Prompt) && !(allowRepeats && (exhausted || attempt >= FreshAttempts)))
                    {
                        if (attempt + 1 == FreshAttempts) exhausted = true;
                        continue;
                    }
                    pick = task;
                    break;
                }
                if (pick is null) throw new InvalidOperationException($"could not draw a fresh {category} task ({count} needed)");
                seen.Add(pick.Prompt);
                tasks.Add(pick);
            }
        }
        for (int i = tasks.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (tasks[i], tasks[j]) = (tasks[j], tasks[i]);
        }
        return tasks;
    }
}
