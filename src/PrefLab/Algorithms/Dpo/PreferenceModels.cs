using System.Text.Json.Nodes;
using PrefLab.Algorithms.Dpo.Reference;
using PrefLab.Algorithms.Lora;
using PrefLab.Models;
using PrefLab.Models.Lora;
using PrefLab.Runtime;
using PrefLab.Training;

namespace PrefLab.Algorithms.Dpo;

/// <summary>Where an offline preference run's reference comes from (<see cref="PreferenceModels.Load{T}"/>).</summary>
/// <param name="Uses">False for reference-free losses (SimPO).</param>
/// <param name="Live">Run the reference on every micro-batch (<c>--ref-cache off</c>) instead of from the cache.</param>
/// <param name="Folder">The reference model's folder.</param>
/// <param name="IsStart">The reference is the starting model (the default).</param>
public readonly record struct ReferencePlan(bool Uses, bool Live, string Folder, bool IsStart)
{
    /// <summary>The plan of a run's options; refuses reference options a reference-free loss (named by
    /// <paramref name="loss"/>) would ignore, a missing reference folder, and a reference of another vocabulary.</summary>
    public static ReferencePlan Of(PreferenceJobOptions options, bool uses, string loss)
    {
        if (!uses && options.ReferenceModel is not null)
            throw UserError.InOption("ref-model", $"does not apply to {loss}, which has no reference model; given {options.ReferenceModel}");
        if (!uses && options.RefCache is not null)
            throw UserError.InOption("ref-cache", $"does not apply to {loss}, which has no reference model; given {options.RefCache}");
        if (options.ReferenceModel is { } given && !Directory.Exists(given))
            throw UserError.InOption("ref-model", $"folder not found: {given}");
        bool live = uses && string.Equals(options.RefCache?.Trim(), ReferenceCache.Off, StringComparison.OrdinalIgnoreCase);
        string folder = options.ReferenceModel ?? options.Model;
        bool isStart = DpoJob.SameFolder(folder, options.Model);
        if (uses && !isStart) DpoJob.CheckCompatible(options.Model, folder);
        return new ReferencePlan(uses, live, folder, isStart);
    }
}

/// <summary>
/// The models of an offline preference run (DPO and its variants, KTO), set up one way: the policy, with its LoRA
/// adapters when asked; the reference's log-probs precomputed through the cache (by the policy itself before its
/// first step when the reference is the starting model, adapters off; a separate reference model is released
/// before training, so training holds one model) or a live reference (the policy with its adapters off, or a second
/// model). run.json gets <c>reference</c>, <c>model</c> and, with LoRA, <c>lora</c>.
/// </summary>
public sealed class PreferenceModels : IDisposable
{
    CausalLM? liveModel;

    PreferenceModels(CausalLM policy, LoraAdapters? adapters, IReferenceModel? reference)
    {
        Policy = policy;
        Adapters = adapters;
        Reference = reference;
    }

    public CausalLM Policy { get; }
    /// <summary>The LoRA adapters being trained, or null for full fine-tuning.</summary>
    public LoraAdapters? Adapters { get; }
    /// <summary>Null when the loss has no reference.</summary>
    public IReferenceModel? Reference { get; }

    /// <summary>Sets the models up and builds the run's objective from them. A failure before training marks the run
    /// failed and releases every model.</summary>
    /// <param name="precompute">The reference's train (and eval) log-probs from the cache, given the cache, a loader of
    /// the reference model (called only on a cache miss) and run.json's reference report.</param>
    public static (PreferenceModels Models, T Objective) Load<T>(PreferenceJobOptions options, ReferencePlan plan, RunDirectory run,
        Func<ReferenceCache, Func<CausalLM>, JsonObject, PrecomputedReference> precompute, Func<PreferenceModels, T> objective)
    {
        CausalLM? policy = null, liveModel = null;
        LoraAdapters? adapters = null;
        try
        {
            if (options.Lora is not null)
            {
                // The adapters start at B = 0; every reference forward below runs with them switched off.
                policy = CausalLM.Load(options.Model, options.Training.Compute());
                adapters = LoraPolicy.Attach(policy, options.Lora, options.Model, options.Training.Seed);
            }
            IReferenceModel? reference = null;
            var referenceReport = new JsonObject
            {
                ["mode"] = !plan.Uses ? "none" : plan.Live ? "live" : "cached",
                ["model"] = plan.Uses ? Path.GetFullPath(plan.Folder) : null,
            };
            if (plan.Uses && !plan.Live)
            {
                var cache = new ReferenceCache(options.RefCache ?? ReferenceCache.DefaultFolder, options.Console ?? System.Console.Error);
                referenceReport["cache_folder"] = cache.Folder;
                CausalLM? referenceModel = null;
                // With the default reference the policy itself computes the values before its first step.
                CausalLM LoadReference() => referenceModel ??= plan.IsStart ? policy ??= CausalLM.Load(options.Model, options.Training.Compute()) : CausalLM.Load(plan.Folder, options.Training.Compute());
                try
                {
                    using var adaptersOff = adapters?.Disabled();
                    reference = precompute(cache, LoadReference, referenceReport);
                }
                finally
                {
                    // A separate reference model is released before training starts: training holds one model.
                    if (referenceModel is not null && !ReferenceEquals(referenceModel, policy)) referenceModel.Dispose();
                }
                referenceReport["released_before_training"] = true;
            }
            policy ??= CausalLM.Load(options.Model, options.Training.Compute());
            if (plan.Live)
            {
                if (adapters is not null && plan.IsStart)
                {
                    reference = new LiveReference(policy, options.LogitsChunk, adapters);
                }
                else
                {
                    liveModel = CausalLM.Load(plan.Folder, options.Training.Compute());
                    reference = new LiveReference(liveModel, options.LogitsChunk);
                }
            }
            run.Set("reference", referenceReport);
            run.Set("model", new JsonObject
            {
                ["from"] = Path.GetFullPath(options.Model),
                ["parameters"] = policy.ParameterCount,
                ["non_embedding_parameters"] = policy.NonEmbeddingParameterCount,
            });
            if (adapters is not null) run.Set("lora", LoraPolicy.Report(adapters, policy));
            var models = new PreferenceModels(policy, adapters, reference) { liveModel = liveModel };
            return (models, objective(models));
        }
        catch (Exception e)
        {
            // The trainer marks its own failures; these happen before it starts.
            run.Fail(e.Message);
            liveModel?.Dispose();
            adapters?.Dispose();
            policy?.Dispose();
            throw;
        }
    }

    /// <summary>Saves the policy (merged, with the adapter beside it, under LoRA) with the starting model's tokenizer files.</summary>
    public void Save(string folder, string startModel, int? padTokenId) => LoraPolicy.Save(Policy, Adapters, folder, startModel, padTokenId);

    public void Dispose()
    {
        liveModel?.Dispose();
        Adapters?.Dispose();
        Policy.Dispose();
    }
}
