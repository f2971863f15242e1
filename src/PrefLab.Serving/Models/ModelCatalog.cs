using PrefLab.Models.Config;
using PrefLab.Runtime;
using PrefLab.Serving.Api;

namespace PrefLab.Serving.Models;

/// <summary>The served models by id. A folder whose config.json declares <c>*ForSequenceClassification</c> is a
/// reward model; any other is loaded as a causal LM.</summary>
public sealed class ModelCatalog : IDisposable
{
    readonly Dictionary<string, ServedModel> models = new(StringComparer.Ordinal);

    public ModelCatalog(IEnumerable<string> folders, string? chatFormat)
    {
        TorchRuntime.EnsureLoaded();
        try
        {
            foreach (string folder in folders)
            {
                string id = ServeOptions.ModelId(folder);
                var head = ModelConfigs.Load(folder).DeclaredHead;
                models[id] = head == ModelHead.Scalar ? new RewardServedModel(id, folder, chatFormat) : new PolicyModel(id, folder, chatFormat);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IEnumerable<ServedModel> All => models.Values;

    /// <summary>The model a request names (its <c>model</c> field), of the kind the endpoint needs.</summary>
    public T Get<T>(string id, string endpoint) where T : ServedModel
    {
        if (!models.TryGetValue(id, out var model)) throw ApiError.UnknownModel(id, models.Keys);
        return model as T ?? throw ApiError.BadField("model",
            $"'{id}' is a {model.Kind.Replace('_', ' ')}; {endpoint} needs a {(typeof(T) == typeof(PolicyModel) ? "policy (causal LM)" : "reward model")}", "model_not_supported");
    }

    public void Dispose()
    {
        foreach (var model in models.Values) model.Dispose();
        models.Clear();
    }
}
