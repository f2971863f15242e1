using PrefLab.Data.Records;
using PrefLab.Runtime;
using PrefLab.World.Responders;
using PrefLab.World.Scoring;
using PrefLab.World;

namespace PrefLab.Evaluation.RewardModels;

/// <summary>Gold-labelled pairs on the World's evaluation prompts, and what building them dropped.</summary>
/// <param name="Drawn">Pairs attempted (eval prompts × pairs per prompt).</param>
/// <param name="Identical">Attempts whose two responses stayed identical after redraws (dropped).</param>
/// <param name="Ties">Attempts the gold judge scored equal (dropped: no label).</param>
public sealed record WorldHeldOutSet(IReadOnlyList<PreferencePair> Pairs, int Drawn, int Identical, int Ties, string Method);

/// <summary>
/// Preference pairs a reward model trained on any World dataset has never seen: the prompts are the World's
/// held-out evaluation prompts (eval/CATEGORY.jsonl, which the generator keeps out of every training file,
/// including as substrings), and the responses are fresh draws from the World's simulated responders.
/// For each category, each eval item, and k = 1..pairsPerPrompt: responder A and B are drawn uniformly from
/// every responder profile (the SFT demonstrator included, so the pool covers the policy's style), each writes
/// a response with its own habits; B is redrawn (up to 6 times, as the World's pairwise datasets do) while its
/// text equals A's, and a pair still identical is dropped. The gold judge labels the pair
/// (<see cref="GoldJudge.Prefer"/>: the higher overall gold score is chosen); gold ties (|difference| &lt; 1e-9) are
/// dropped and counted. Randomness: <c>Seeding.Stream(seed, "rm-eval/world/CATEGORY")</c>, so a seed gives the
/// same pairs. Each pair carries category (the task's), subset (the task family), id (eval id and k), and
/// margin (the gold gap, in [0, 1]).
/// </summary>
public static class WorldHeldOutPairs
{
    public const int DefaultPairsPerPrompt = 4;

    public static WorldHeldOutSet Build(WorldInstance world, int pairsPerPrompt = DefaultPairsPerPrompt, long seed = 0)
    {
        if (pairsPerPrompt < 1) throw UserError.InOption("world-pairs", $"must be at least 1, not {pairsPerPrompt}");
        var writer = new ResponseWriter(world.Knowledge);
        var pool = ResponderProfile.All;
        var pairs = new List<PreferencePair>();
        int drawn = 0, identical = 0, ties = 0;
        foreach (string category in WorldCategories.All)
        {
            var rng = Seeding.Stream(seed, "rm-eval/world/" + category);
            foreach (var item in world.EvalItems(category))
            {
                var task = item.Task;
                for (int k = 0; k < pairsPerPrompt; k++)
                {
                    drawn++;
                    string a = writer.Write(task, pool[rng.Next(pool.Count)], rng);
                    string b = a;
                    for (int attempt = 0; attempt < 6 && b == a; attempt++) b = writer.Write(task, pool[rng.Next(pool.Count)], rng);
                    if (a == b)
                    {
                        identical++;
                        continue;
                    }
                    double gap = world.Judge.Score(task, a).Overall - world.Judge.Score(task, b).Overall;
                    var preference = world.Judge.Prefer(task.Prompt, a, b);
                    if (preference == Preference.Tie)
                    {
                        ties++;
                        continue;
                    }
                    var (chosen, rejected) = preference == Preference.A ? (a, b) : (b, a);
                    pairs.Add(new PreferencePair([Message.User(task.Prompt)], [Message.Assistant(chosen)], [Message.Assistant(rejected)])
                    {
                        Id = $"{item.Id}-{k + 1}",
                        Category = category,
                        Subset = task.Family,
                        Margin = Math.Abs(gap),
                    });
                }
            }
        }
        string method = $"World held-out pairs: eval prompts of every category x {pairsPerPrompt} pairs, responses from responders drawn uniformly " +
                        $"from all {pool.Count} profiles, labelled by the gold judge (ties dropped), seed {seed}";
        return new WorldHeldOutSet(pairs, drawn, identical, ties, method);
    }
}
