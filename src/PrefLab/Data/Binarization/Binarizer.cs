using PrefLab.Data.Reading;
using PrefLab.Data.Records;

namespace PrefLab.Data.Binarization;

/// <summary>One response to a prompt and its score (higher is better: ranks enter negated).</summary>
internal readonly record struct ScoredResponse(IReadOnlyList<Message> Completion, double Score);

/// <summary>Turns the scored responses of one prompt into pairs by a <see cref="PairSelection"/>; the margin
/// of a pair is the chosen score minus the rejected one.</summary>
internal static class Binarizer
{
    public const string TooFewResponses = "fewer than two scored responses";

    /// <param name="template">The prompt and metadata every pair shares.</param>
    public static void AddPairs(PreferencePair template, IReadOnlyList<ScoredResponse> responses, PairSelection selection,
        ReadContext context, List<PreferencePair> output)
    {
        if (context.PromptsOnly)
        {
            output.Add(template);
            return;
        }
        if (responses.Count < 2)
        {
            context.Drop(TooFewResponses);
            return;
        }
        switch (selection)
        {
            case PairSelection.BestVsRandom:
            {
                int best = ArgBest(responses, better: (a, b) => a > b);
                int other = context.Random.Next(responses.Count - 1);
                if (other >= best) other++;
                Add(best, other);
                break;
            }
            case PairSelection.BestVsWorst:
                Add(ArgBest(responses, (a, b) => a > b), ArgBest(responses, (a, b) => a < b));
                break;
            case PairSelection.AllPairs:
                for (int i = 0; i < responses.Count; i++)
                    for (int j = i + 1; j < responses.Count; j++)
                        if (responses[i].Score >= responses[j].Score) Add(i, j);
                        else Add(j, i);
                break;
        }

        void Add(int chosen, int rejected)
        {
            double margin = responses[chosen].Score - responses[rejected].Score;
            if (chosen == rejected || margin == 0)
            {
                context.Tie(template, output);
                return;
            }
            output.Add(template with { Chosen = responses[chosen].Completion, Rejected = responses[rejected].Completion, Margin = margin });
        }
    }

    /// <summary>The first index whose score no other beats.</summary>
    static int ArgBest(IReadOnlyList<ScoredResponse> responses, Func<double, double, bool> better)
    {
        int best = 0;
        for (int i = 1; i < responses.Count; i++)
            if (better(responses[i].Score, responses[best].Score)) best = i;
        return best;
    }
}
