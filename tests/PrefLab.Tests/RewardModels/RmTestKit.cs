using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Models;
using PrefLab.Models.Presets;
using PrefLab.Tests.Text;
using static TorchSharp.torch;

namespace PrefLab.Tests.RewardModels;

/// <summary>Tiny models on the test World tokenizer (pad 0, EOS 3, Tulu chat template) and small data files.</summary>
public static class RmTestKit
{
    public const int Pad = 0, Eos = 3;

    public static string Tokenizer => TokenizerFixtures.Folder("world");

    /// <summary>A `tiny-test` causal LM folder (random weights from <paramref name="seed"/>) with tokenizer files.</summary>
    public static string CausalFolder(string path, long seed = 1)
    {
        var config = ModelPresets.Create("tiny-test", TokenizerFacts.Read(Tokenizer));
        using var model = CausalLM.Create(config, seed);
        model.Save(path);
        ModelFolder.CopyTokenizerFiles(Tokenizer, path);
        return path;
    }

    /// <summary>A reward model folder: the tiny causal LM's backbone and a new head; optionally pad token = EOS.</summary>
    public static string RewardFolder(string path, long seed = 1, bool padIsEos = false)
    {
        string causal = path + "-causal";
        CausalFolder(causal, seed);
        using var model = ScalarHeadModel.FromCausalLM(causal, seed);
        model.Save(path, new ModelSaveOptions { PadTokenId = padIsEos ? Eos : Pad });
        ModelFolder.CopyTokenizerFiles(Tokenizer, path);
        if (padIsEos)
        {
            string configPath = Path.Combine(path, "tokenizer_config.json");
            var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            config["pad_token"] = "</s>";
            File.WriteAllText(configPath, config.ToJsonString());
        }
        return path;
    }

    /// <summary>"&lt;|user|&gt;\n what is the capital of france ?\n&lt;|assistant|&gt;\n" as ids, then the response ids and EOS.</summary>
    public static TokenizedSequence Sequence(params int[] response)
    {
        int[] prompt = [5, 11, 9, 7, 12, 10, 13, 22, 6];
        var ids = prompt.Concat(response).Append(Eos).ToArray();
        var mask = ids.Select((_, i) => i >= prompt.Length).ToArray();
        return new TokenizedSequence(ids, mask);
    }

    /// <summary>Three pairs of different lengths: chosen longer, rejected longer, and equal.</summary>
    public static List<TokenizedPair> Pairs(double? margin0 = 1.5, double? margin1 = null, double? margin2 = -0.5) =>
    [
        new(Sequence(14, 21, 43, 44, 45), Sequence(40, 21), 9, margin0),
        new(Sequence(29, 21), Sequence(30, 21, 46, 47, 41, 42, 21), 9, margin1),
        new(Sequence(14, 21, 31), Sequence(38, 21, 30), 9, margin2),
    ];

    /// <summary>The reward of one sequence alone (no padding, no mask), read at its last token, in float64.</summary>
    public static (double Reward, double[] Hidden) Alone(ScalarHeadModel model, TokenizedSequence sequence)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(sequence.Ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        var hidden = model.HiddenStates(ids)[0, sequence.Length - 1].to_type(ScalarType.Float64).data<double>().ToArray();
        var weight = model.ScoreWeight.detach().to_type(ScalarType.Float64).data<double>().ToArray();
        return (hidden.Zip(weight, (h, w) => h * w).Sum(), hidden);
    }

    public static double LogOnePlusExp(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

    /// <summary>Pairwise rows in the test tokenizer's words; every third has a margin.</summary>
    public static string PairwiseFile(string path, int rows, bool withMargin = false)
    {
        string[] good = ["paris .", "the answer is paris .", "paris is the capital of france ."];
        string[] bad = ["i think so .", "blue .", "no .", "i am not sure .", "the sky is red ."];
        var lines = Enumerable.Range(0, rows).Select(i =>
        {
            var row = new JsonObject
            {
                ["id"] = $"p{i}",
                ["category"] = i % 2 == 0 ? "even" : "odd",
                ["prompt"] = "what is the capital of france ?",
                ["chosen"] = good[i % good.Length],
                ["rejected"] = bad[i % bad.Length].Replace(" am", ""),
            };
            if (withMargin) row["margin"] = 1 + i % 3;
            return row.ToJsonString();
        });
        File.WriteAllLines(path, lines);
        return path;
    }

    public static float[][] Weights(string folder)
    {
        using var model = ScalarHeadModel.Load(folder);
        return model.parameters().Select(p => p.data<float>().ToArray()).ToArray();
    }
}
