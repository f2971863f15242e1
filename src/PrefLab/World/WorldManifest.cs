using System.Text.Json;
using PrefLab.World.Annotators;
using PrefLab.World.Datasets;
using PrefLab.World.Language;
using PrefLab.World.Responders;
using PrefLab.World.Scoring;

namespace PrefLab.World;

/// <summary>Writes world.json: seed, scale, fingerprint, vocabulary size, the knowledge base's size, every
/// file's row and category counts, and each preference dataset's annotator and its agreement with gold.</summary>
public static class WorldManifest
{
    public const string FileName = "world.json";
    public const string Format = "preflab-world";

    public static byte[] Build(WorldPlan plan, IReadOnlyList<EmittedFile> files) => WorldJson.Document(w =>
    {
        var kb = plan.Knowledge;
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteNumber("generator_version", WorldGenerator.Version);
        w.WriteNumber("seed", plan.Seed);
        w.WriteString("scale", WorldSize.Name(plan.Scale));
        w.WriteString("fingerprint", plan.Fingerprint());
        w.WriteNumber("vocabulary_size", Vocabulary.Standard.Count);
        w.WriteString("tokenizer", "tokenizer/tokenizer.json");

        w.WriteStartObject("knowledge");
        w.WriteNumber("people", kb.People.Count);
        w.WriteNumber("towns", kb.Towns.Count);
        w.WriteNumber("creatures", kb.Creatures.Count);
        w.WriteNumber("facts", kb.Facts.Count);
        w.WriteNumber("myths", kb.Facts.Count(f => f.IsMyth));
        w.WriteNumber("held_out_facts", kb.Facts.Count(f => f.HeldOut));
        w.WriteNumber("phantoms", kb.Phantoms.Count);
        w.WriteNumber("held_out_phantoms", kb.HeldOutPhantoms.Count);
        w.WriteEndObject();

        w.WriteStartObject("gold");
        w.WriteString("range", "every score in [0, 1]; a fully right answer scores 1");
        w.WriteStartArray("aspects");
        foreach (string a in GoldScore.AspectNames) w.WriteStringValue(a);
        w.WriteEndArray();
        w.WriteStartObject("overall_weights");
        foreach (string c in WorldCategories.All)
        {
            var (cw, iw, hw, uw) = GoldScore.Weights(c);
            w.WriteStartObject(c);
            w.WriteNumber(GoldScore.Correctness, cw);
            w.WriteNumber(GoldScore.InstructionFollowing, iw);
            w.WriteNumber(GoldScore.Honesty, hw);
            w.WriteNumber(GoldScore.Helpfulness, uw);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartObject("files");
        foreach (var file in files)
        {
            var r = file.Report;
            w.WriteStartObject(r.Path);
            w.WriteNumber("rows", r.Rows);
            if (r.Prompts > 0 && r.Prompts != r.Rows) w.WriteNumber("prompts", r.Prompts);
            if (r.Categories.Count > 0) Categories(w, r);
            if (r.Extra is not null)
                foreach (var (key, value) in r.Extra) w.WriteNumber(key, value);
            if (r.GoldMean is double g && r.Agreements.Count == 0) w.WriteNumber("gold_mean", WorldJson.Round(g));
            w.WriteEndObject();
        }
        w.WriteEndObject();

        w.WriteStartObject("datasets");
        foreach (var file in files.Where(f => f.Report.Agreements.Count > 0))
        {
            var r = file.Report;
            w.WriteStartObject(r.Name);
            w.WriteString("file", r.Path);
            w.WriteString("format", r.Format);
            w.WriteNumber("rows", r.Rows);
            w.WriteNumber("prompts", r.Prompts);
            w.WriteNumber("responses", r.Responses);
            Categories(w, r);
            w.WriteStartArray("responders");
            foreach (string m in r.Responders) w.WriteStringValue(m);
            w.WriteEndArray();
            Annotator(w, r.Annotator);
            for (int i = 0; i < r.Agreements.Count; i++)
            {
                var (name, tally) = r.Agreements[i];
                w.WriteStartObject(i == 0 ? "agreement" : "agreement_" + name.Replace('-', '_'));
                w.WriteString("by", name);
                w.WriteNumber("measured", WorldJson.Round(tally.Measured));
                w.WriteNumber("expected", WorldJson.Round(tally.Expected));
                w.WriteNumber("pairs", tally.Pairs);
                w.WriteNumber("gold_ties", tally.GoldTies);
                w.WriteNumber("label_ties", tally.LabelTies);
                w.WriteEndObject();
            }
            if (r.ChosenLonger is double longer) w.WriteNumber("chosen_longer", WorldJson.Round(longer));
            if (r.GoldChosenMean is double gc) w.WriteNumber("gold_chosen_mean", WorldJson.Round(gc));
            if (r.GoldRejectedMean is double gr) w.WriteNumber("gold_rejected_mean", WorldJson.Round(gr));
            if (r.GoldMean is double gm) w.WriteNumber("gold_mean", WorldJson.Round(gm));
            w.WriteEndObject();
        }
        w.WriteEndObject();

        w.WriteStartObject("responders");
        foreach (var p in ResponderProfile.All) w.WriteString(p.Name, p.Description);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    static void Categories(Utf8JsonWriter w, FileReport r)
    {
        w.WriteStartObject("categories");
        foreach (string c in WorldCategories.All)
            if (r.Categories.TryGetValue(c, out int n)) w.WriteNumber(c, n);
        w.WriteEndObject();
    }

    static void Annotator(Utf8JsonWriter w, object? annotator)
    {
        w.WriteStartObject("annotator");
        switch (annotator)
        {
            case PairwiseAnnotator a:
                w.WriteString("name", a.Name);
                w.WriteString("kind", "pairwise");
                w.WriteString("description", a.Description);
                w.WriteNumber("noise", a.Noise);
                w.WriteNumber("length_bias", a.LengthBias);
                w.WriteNumber("tie_margin", a.TieMargin);
                break;
            case RankingAnnotator a:
                w.WriteString("name", a.Name);
                w.WriteString("kind", "ranking");
                w.WriteString("description", a.Description);
                w.WriteNumber("sigma", a.Sigma);
                w.WriteNumber("length_bias", a.LengthBias);
                break;
            case AspectRater a:
                w.WriteString("name", a.Name);
                w.WriteString("kind", "fine-grained ratings");
                w.WriteString("description", a.Description);
                w.WriteNumber("aspect_sigma", a.AspectSigma);
                w.WriteNumber("overall_sigma", a.OverallSigma);
                w.WriteNumber("confidence_bias", a.ConfidenceBias);
                break;
            case AttributeRater a:
                w.WriteString("name", a.Name);
                w.WriteString("kind", "attribute ratings");
                w.WriteString("description", a.Description);
                w.WriteNumber("sigma", a.Sigma);
                break;
        }
        w.WriteEndObject();
    }
}
