using System.Diagnostics;
using System.Text.Json.Nodes;
using PrefLab.Data.Collation;
using PrefLab.Data.Reading;
using PrefLab.Models;
using PrefLab.Text.Chat;
using PrefLab.Training;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>One split (train or eval) of an offline preference run as its reference pass sees it: the two sequences
/// of every row (DPO: chosen and rejected; KTO: an example and its KL sequence), the micro-batches they run in, and
/// the file they came from (its content and format enter the cache key).</summary>
public sealed record ReferenceSplit(string Name, IReadOnlyList<TokenizedPair> Sequences, PairLayout Layout, Dataset Dataset, string DataFile);

/// <summary>
/// The reference log-probs of an offline preference run's splits, looked up in (or computed into) the cache one way
/// for every loss: run.json's <c>reference.&lt;split&gt;</c> says whether each came from the cache, with its key.
/// </summary>
public static class ReferenceSplits
{
    /// <summary>The layouts both splits run in: the training data in the first epoch's micro-batches (length-bucketed
    /// when the loop buckets), the held-out data in consecutive evaluation batches (see <see cref="PairLayout"/>).</summary>
    public static (PairLayout Train, PairLayout Eval) Layouts(TrainingOptions training, IReadOnlyList<TokenizedPair> train, int evalCount) =>
        (PairLayout.FirstEpoch(new BatchPlan(train.Count, training.BatchSize, training.GradAccum, training.Seed,
            training.BucketByLength ? i => train[i].Length : null)),
         PairLayout.Sequential(evalCount, training.BatchSize));

    /// <summary>Both splits' reference values (eval null when there is no held-out data).</summary>
    /// <param name="objective">What the two sequences are when not DPO's chosen and rejected (enters the key only when
    /// given, so DPO's keys are unchanged).</param>
    /// <param name="rowsName">What run.json calls the split's rows ("pairs", "examples").</param>
    public static PrecomputedReference Resolve(ReferenceCache cache, ReferenceSplit train, ReferenceSplit? eval,
        PreferenceJobOptions options, ChatTokenizer chat, string referenceDir, Func<CausalLM> loadReference, JsonObject report,
        string? objective, string rowsName)
    {
        var trainValues = ResolveSplit(cache, train, options, chat, referenceDir, loadReference, report, objective, rowsName);
        var evalValues = eval is { Sequences.Count: > 0 }
            ? ResolveSplit(cache, eval, options, chat, referenceDir, loadReference, report, objective, rowsName)
            : null;
        return new PrecomputedReference(trainValues, evalValues);
    }

    static ReferenceLogProbs ResolveSplit(ReferenceCache cache, ReferenceSplit split, PreferenceJobOptions options, ChatTokenizer chat,
        string referenceDir, Func<CausalLM> loadReference, JsonObject report, string? objective, string rowsName)
    {
        var clock = Stopwatch.StartNew();
        var key = ReferenceCacheKey.Of(new ReferenceInputs
        {
            ReferenceModel = referenceDir, DataFile = split.DataFile, Format = split.Dataset.Format.Name, Binarization = split.Dataset.Binarization,
            SkipBadRows = options.SkipBadRows, ChatFormat = chat.Format.Name, MaxLength = options.MaxLength,
            Truncation = options.Truncation, Pairs = split.Sequences, Layout = split.Layout, Objective = objective,
            Precision = options.Training.Precision,
        });
        ReferenceLogProbs Compute() =>
            ReferencePass.Compute(loadReference(), split.Sequences, split.Layout, chat.PadId, $"reference log-probs ({split.Name})", options.LogitsChunk);
        var group = Runtime.Distributed.ProcessGroup.Current;
        var result = cache.GetOrCompute(key, split.Sequences, Compute, group);
        report[split.Name] = new JsonObject
        {
            ["source"] = result.Source switch
            {
                ReferenceSource.CacheHit => "cache",
                ReferenceSource.Computed => "computed",
                _ => "recomputed",
            },
            ["file"] = result.File,
            ["key"] = key.Hex,
            ["problem"] = result.Problem,
            [rowsName] = split.Sequences.Count,
            ["ranks"] = group.IsDistributed && result.Source != ReferenceSource.CacheHit ? group.Size : null,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
        };
        return result.Values;
    }
}
