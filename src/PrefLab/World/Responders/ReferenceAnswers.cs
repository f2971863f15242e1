using PrefLab.Runtime;

namespace PrefLab.World.Responders;

/// <summary>
/// The World's own reference points for a policy: how a responder profile (the demonstrator whose answers the SFT
/// data holds, or the expert) does on the held-out evaluation items, scored by the gold judge as a generated answer
/// is. Each item's answer is drawn from <c>Seeding.Stream(seed, "reference/PROFILE/ITEM")</c>, so it does not depend
/// on which other items are scored. Multiple-choice items (which a model answers by likelihood, 1 or 0) get the gold
/// score of the profile's written answer: the reference is the profile answering in its own words.
/// </summary>
public static class ReferenceAnswers
{
    /// <summary>Gold overall score of <paramref name="profile"/>'s answer to each evaluation item, by (category, item id).</summary>
    public static IReadOnlyDictionary<(string Category, string Item), double> Score(WorldInstance world, ResponderProfile profile, long seed = 0)
    {
        var writer = new ResponseWriter(world.Knowledge);
        var scores = new Dictionary<(string, string), double>();
        foreach (string category in WorldCategories.All)
            foreach (var item in world.EvalItems(category))
            {
                var rng = Seeding.Stream(seed, $"reference/{profile.Name}/{item.Id}");
                string answer = writer.Write(item.Task, profile, rng);
                scores[(category, item.Id)] = world.Judge.Score(item.Task, answer).Overall;
            }
        return scores;
    }
}
