using PrefLab.World.Annotators;
using PrefLab.World.Responders;
using PrefLab.World.Scoring;
using PrefLab.World.Tasks;

namespace PrefLab.World.Datasets;

/// <summary>What every emitter needs: the plan, the gold judge, the response writer, the named streams, and a
/// log of every text written (for the vocabulary and leakage checks).</summary>
public sealed class EmitContext(WorldPlan plan, GoldJudge judge)
{
    public WorldPlan Plan { get; } = plan;
    public GoldJudge Judge { get; } = judge;
    public ResponseWriter Writer { get; } = new(plan.Knowledge);

    /// <summary>Every text emitted into a training file (prompts, responses, rationales, documents).</summary>
    public List<string> TrainingTexts { get; } = [];
    /// <summary>Every text emitted into an eval file.</summary>
    public List<string> EvalTexts { get; } = [];

    public Random Stream(string component) => WorldPlan.Stream(Plan.Seed, component);

    public ScoredResponse Respond(WorldTask task, ResponderProfile profile, Random rng)
    {
        string text = Writer.Write(task, profile, rng);
        return new ScoredResponse(text, profile.Name, Judge.Score(task, text));
    }

    /// <summary>Marks texts as written to a training file and returns the first.</summary>
    public string Train(string text, params string[] more)
    {
        TrainingTexts.Add(text);
        TrainingTexts.AddRange(more);
        return text;
    }
}

/// <summary>What world.json says about one emitted file.</summary>
public sealed class FileReport(string name, string path, string format)
{
    public string Name { get; } = name;
    public string Path { get; } = path;
    public string Format { get; } = format;
    public int Rows { get; set; }
    /// <summary>Prompts (one row per prompt, except HelpSteer which has a row per response).</summary>
    public int Prompts { get; set; }
    public int Responses { get; set; }
    public Dictionary<string, int> Categories { get; } = new(StringComparer.Ordinal);
    public IReadOnlyList<string> Responders { get; set; } = [];
    public object? Annotator { get; set; }
    /// <summary>Named agreement tallies: "label", or "fine-grained_score" and "overall_score".</summary>
    public List<(string Name, AgreementTally Tally)> Agreements { get; } = [];
    public double? ChosenLonger { get; set; }
    public double? GoldChosenMean { get; set; }
    public double? GoldRejectedMean { get; set; }
    /// <summary>Mean gold score of the file's responses (SFT demonstrations, every candidate).</summary>
    public double? GoldMean { get; set; }
    public Dictionary<string, int>? Extra { get; set; }

    public void Count(string category) => Categories[category] = Categories.GetValueOrDefault(category) + 1;
}

/// <summary>One emitted file: where it goes, its bytes, and its entry in world.json.</summary>
public sealed record EmittedFile(string RelativePath, byte[] Bytes, FileReport Report);
