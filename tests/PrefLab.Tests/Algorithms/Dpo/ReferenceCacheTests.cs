using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Algorithms.Dpo;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Text.Chat;
using PrefLab.Text;
using Xunit;

namespace PrefLab.Tests.Algorithms.Dpo;

public class ReferenceCacheTests
{
    static JsonObject Reference(string run, string split = "train") => DpoTestKit.Run(run)["reference"]![split]!.AsObject();
    static string Source(string run, string split = "train") => Reference(run, split)["source"]!.GetValue<string>();
    static string CacheFile(string run, string split = "train") => Reference(run, split)["file"]!.GetValue<string>();

    [Fact]
    public void A_second_run_with_the_same_key_reads_the_cache_and_a_changed_input_computes_anew()
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 4);
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 12);
        string eval = DpoTestKit.Pairs(dir.File("eval.jsonl"), 5, seed: 99);
        var first = DpoTestKit.Options(model, data, dir.File("first"), dir.File("cache")) with { EvalData = eval };
        DpoJob.Run(first);
        Assert.Equal("computed", Source(first.Output));
        Assert.Equal("computed", Source(first.Output, "eval"));
        string file = CacheFile(first.Output);
        var bytes = File.ReadAllBytes(file);
        var written = File.GetLastWriteTimeUtc(file);
        Assert.True(DpoTestKit.Run(first.Output)["reference"]!["released_before_training"]!.GetValue<bool>());

        // Same reference, data, tokenization and layout; another loss and learning rate (not part of the key).
        var second = first with { Output = dir.File("second"), Dpo = new DpoOptions { Loss = DpoLossType.Ipo }, Training = first.Training with { Lr = 5e-3 } };
        DpoJob.Run(second);
        Assert.Equal("cache", Source(second.Output));
        Assert.Equal("cache", Source(second.Output, "eval"));
        Assert.Equal(file, CacheFile(second.Output));
        Assert.Equal(bytes, File.ReadAllBytes(file));
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));
        Assert.Equal(Math.Pow(1 / (2 * 0.1), 2), DpoTestKit.Value(DpoTestKit.TrainMetrics(second.Output)[0], "loss"), 1e-12);

        // The seed enters only through each pair's padded length: with 12 pairs in one bucketing window, another
        // seed pads every pair the same way and reuses the file (the first step is still exact).
        var reseeded = first with { Output = dir.File("reseeded"), EvalData = null, Training = first.Training with { Seed = 4 } };
        DpoJob.Run(reseeded);
        Assert.Equal("cache", Source(reseeded.Output));
        Assert.Equal(0.0, DpoTestKit.Value(DpoTestKit.TrainMetrics(reseeded.Output)[0], "rewards/margins"));

        // Negative controls: each changed input is a new key, computed.
        var changed = new Dictionary<string, DpoJobOptions>
        {
            ["max length"] = first with { MaxLength = 40 },
            ["data content"] = first with { Data = Rewrite(data, dir.File("renamed-ids.jsonl")) },
            ["reference"] = first with { ReferenceModel = DpoTestKit.Model(dir.File("other"), seed: 5) },
            ["layout (no bucketing)"] = first with { Training = first.Training with { BucketByLength = false } },
        };
        foreach (var (what, options) in changed)
        {
            var run = options with { Output = dir.File("changed-" + what.Replace(' ', '-')) };
            DpoJob.Run(run);
            Assert.True(Source(run.Output) == "computed", what);
            Assert.NotEqual(file, CacheFile(run.Output));
        }
    }

    // The same pairs with an extra field: nothing the model sees changes, but the file's content does.
    static string Rewrite(string from, string to)
    {
        File.WriteAllLines(to, File.ReadAllLines(from).Select((line, i) =>
        {
            var row = JsonNode.Parse(line)!.AsObject();
            row["id"] = "row-" + i;
            return row.ToJsonString();
        }));
        return to;
    }

    [Theory]
    [InlineData("flipped byte", "checksum")]
    [InlineData("truncated", "")]
    [InlineData("other key", "key")]
    [InlineData("positive log-prob", "")]
    public void A_corrupt_or_mismatched_cache_file_is_recomputed_with_a_warning_never_trusted(string damage, string reason)
    {
        using var dir = new TempDir();
        string model = DpoTestKit.Model(dir.File("model"), seed: 4);
        string data = DpoTestKit.Pairs(dir.File("pairs.jsonl"), 12);
        var first = DpoTestKit.Options(model, data, dir.File("first"), dir.File("cache")) with { Training = new() { Lr = 1e-3, BatchSize = 4, GradAccum = 2, MaxSteps = 1, Seed = 3 } };
        DpoJob.Run(first);
        string file = CacheFile(first.Output);
        var good = File.ReadAllBytes(file);

        switch (damage)
        {
            case "flipped byte":
                var flipped = (byte[])good.Clone();
                flipped[^20] ^= 0x40;                      // inside the chosen_tokens / rejected_tokens data
                File.WriteAllBytes(file, flipped);
                break;
            case "truncated":
                File.WriteAllBytes(file, good[..(good.Length / 2)]);
                break;
            case "other key":
                // A valid file for other data, under this key's name.
                var other = first with { Data = DpoTestKit.Pairs(dir.File("other.jsonl"), 12, seed: 8), Output = dir.File("other") };
                DpoJob.Run(other);
                File.Copy(CacheFile(other.Output), file, overwrite: true);
                break;
            case "positive log-prob":
                // Rewritten with a consistent checksum but an impossible value: validation is more than a checksum.
                var key = ReferenceCacheKey.Of(InputsOf(first, out var pairs));
                Assert.Equal(file, new ReferenceCache(dir.File("cache"), null).PathOf(key));
                var (values, problem) = ReferenceCache.TryRead(file, key, pairs);
                Assert.Null(problem);
                values!.Chosen[3] = 0.25;
                new ReferenceCache(dir.File("cache"), null).Write(key, values, pairs);
                break;
        }

        var warnings = new StringWriter();
        var again = first with { Output = dir.File("again"), Console = warnings };
        DpoJob.Run(again);
        Assert.Equal("recomputed", Source(again.Output));
        Assert.Contains("not usable", warnings.ToString());
        Assert.Contains(reason, Reference(again.Output)["problem"]!.GetValue<string>());
        Assert.Equal(good, File.ReadAllBytes(file));   // the same values as a fresh computation, rewritten
        Assert.Equal(Math.Log(2), DpoTestKit.Value(DpoTestKit.TrainMetrics(again.Output)[0], "loss"), 1e-12);
    }

    // The job's inputs for the train split, rebuilt as the job builds them.
    static ReferenceInputs InputsOf(DpoJobOptions options, out List<TokenizedPair> pairs)
    {
        var tokenizer = TokenizerLoader.Load(options.Model);
        var chat = new ChatTokenizer(tokenizer, ChatFormats.Resolve(tokenizer, null));
        pairs = DatasetReader.ReadPairs(options.Data).Select(p => chat.Pair(p, options.MaxLength, options.Truncation, new CollationReport())!).ToList();
        var list = pairs;
        var t = options.Training;
        return new ReferenceInputs
        {
            ReferenceModel = options.Model, DataFile = options.Data, Format = "pairwise", ChatFormat = chat.Format.Name,
            MaxLength = options.MaxLength, Truncation = options.Truncation, Pairs = pairs,
            Layout = PairLayout.FirstEpoch(new PrefLab.Training.BatchPlan(pairs.Count, t.BatchSize, t.GradAccum, t.Seed, i => list[i].Length)),
        };
    }

    [Fact]
    public void The_key_changes_with_every_input_and_only_with_them()
    {
        using var dir = new TempDir();
        var options = DpoTestKit.Options(DpoTestKit.Model(dir.File("model"), seed: 4), DpoTestKit.Pairs(dir.File("pairs.jsonl"), 12), dir.File("run"), dir.File("cache"));
        var inputs = InputsOf(options, out var pairs);
        string key = ReferenceCacheKey.Of(inputs).Hex;
        Assert.Equal(key, ReferenceCacheKey.Of(inputs with { DataFile = Copy(inputs.DataFile, dir.File("moved.jsonl")) }).Hex); // paths are not keyed

        var cut = pairs.ToList();
        cut[0] = cut[0] with { Chosen = cut[0].Chosen with { Ids = cut[0].Chosen.Ids.Select(i => i == 14 ? 13 : i).ToArray() } };
        var variants = new Dictionary<string, ReferenceInputs>
        {
            ["reference weights"] = inputs with { ReferenceModel = DpoTestKit.Model(dir.File("other"), seed: 5) },
            ["data content"] = inputs with { DataFile = Rewrite(inputs.DataFile, dir.File("ids.jsonl")) },
            ["format"] = inputs with { Format = "hh" },
            ["binarization"] = inputs with { Binarization = "best-worst by rank" },
            ["skip bad rows"] = inputs with { SkipBadRows = true },
            ["chat format"] = inputs with { ChatFormat = "chatml" },
            ["max length"] = inputs with { MaxLength = 47 },
            ["truncation"] = inputs with { Truncation = TruncationPolicy.Drop },
            ["tokens"] = inputs with { Pairs = cut },
            ["layout"] = inputs with { Layout = PairLayout.Sequential(pairs.Count, 3) },
            // A bf16 reference's log-probs differ from fp32's in the third digit: never shared between them.
            ["precision"] = inputs with { Precision = PrefLab.Models.Layers.LinearPrecision.Bf16 },
        };
        var keys = variants.ToDictionary(v => v.Key, v => ReferenceCacheKey.Of(v.Value).Hex);
        foreach (var (what, other) in keys) Assert.True(other != key, what);
        Assert.Equal(keys.Count, keys.Values.Distinct().Count());
    }

    static string Copy(string from, string to)
    {
        File.Copy(from, to);
        return to;
    }
}
