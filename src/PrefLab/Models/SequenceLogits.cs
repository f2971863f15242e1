using PrefLab.Models.Layers;
using PrefLab.Runtime;
using static TorchSharp.torch;

namespace PrefLab.Models;

/// <summary>The logits a model gives at every position of one raw id sequence: [T, V] row-major.</summary>
public sealed record SequenceLogits(long[] Ids, int VocabSize, float[] Values)
{
    public float this[int position, int token] => Values[position * VocabSize + token];

    /// <summary>
    /// <c>preflab logits</c>'s library entry point: loads <paramref name="modelFolder"/> (float32 weights; bfloat16
    /// matrix products when <paramref name="linearDtype"/> says so) and runs one forward over <paramref name="ids"/>
    /// used as given (no BOS added, no tokenizer needed). An id outside the vocabulary is an error naming it.
    /// </summary>
    public static SequenceLogits Compute(string modelFolder, long[] ids, ScalarType? linearDtype = null)
    {
        if (ids.Length == 0) throw UserError.InOption("ids", "give at least one token id");
        TorchRuntime.EnsureLoaded();
        using var model = CausalLM.Load(modelFolder, new ComputePrecision { LinearDtype = linearDtype });
        return Compute(model, ids);
    }

    /// <summary>The same with a loaded model.</summary>
    public static SequenceLogits Compute(CausalLM model, long[] ids)
    {
        foreach (long id in ids)
            if (id < 0 || id >= model.Config.VocabSize)
                throw UserError.InOption("ids", $"id {id} is outside the model's vocabulary of {model.Config.VocabSize}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(ids, dtype: ScalarType.Int64).unsqueeze(0);                        // [1, T]
        var values = model.forward(input).squeeze(0).contiguous().data<float>().ToArray();    // [T, V] flattened
        return new SequenceLogits(ids, model.Config.VocabSize, values);
    }
}
