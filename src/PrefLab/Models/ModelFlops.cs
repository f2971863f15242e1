using PrefLab.Models.Config;
using static TorchSharp.torch;

namespace PrefLab.Models;

/// <summary>
/// Counts the model FLOPs every forward of every model in this process does, so that a job's or a lab node's cost
/// can be stated against the machine's measured matmul peak (model FLOPs utilisation, as PaLM defines it): work
/// the model needs, not work the kernels happened to do.
///
/// Per position of a backbone forward: 2 x the non-embedding parameters (every weight multiplies once) plus
/// 4 x layers x heads x head_dim x the attended length (the QKᵀ and AV products over past + new positions). Per
/// position projected to the vocabulary: 2 x vocab x hidden. A forward with gradients enabled is counted three
/// times (the backward costs two forwards), the convention of Kaplan et al. and PaLM; a forward under
/// <c>no_grad</c> (generation, reference and old log-probs, evaluation) once. Padding positions count: the
/// machine computed them.
/// </summary>
public static class ModelFlops
{
    static long total;
    [ThreadStatic] static long onThisThread;

    /// <summary>Model FLOPs counted since the process started (all threads).</summary>
    public static long Total => Interlocked.Read(ref total);

    /// <summary>Model FLOPs counted on the calling thread: what a job or lab node run synchronously on it did, unmixed
    /// with other work in the process (jobs run their models on the thread that calls them).</summary>
    public static long OnThisThread => onThisThread;

    /// <summary>Forward FLOPs of one position through the backbone attending to <paramref name="attended"/> positions.</summary>
    public static double BackbonePerPosition(long nonEmbeddingParameters, int layers, int heads, int headDim, long attended) =>
        2.0 * nonEmbeddingParameters + 4.0 * layers * heads * headDim * attended;

    /// <summary>Forward FLOPs of projecting one position to the vocabulary.</summary>
    public static double HeadPerPosition(int vocab, int hidden) => 2.0 * vocab * hidden;

    internal static void AddBackbone(PretrainedModel model, long batch, long length, long past)
    {
        var c = model.Config;
        double forward = batch * length * BackbonePerPosition(model.NonEmbeddingParameterCountCached, c.NumLayers, c.NumHeads, c.HeadDim, past + length);
        Add(forward);
    }

    internal static void AddHead(ModelConfig config, long positions) => Add(positions * HeadPerPosition(config.VocabSize, config.HiddenSize));

    static void Add(double forwardFlops)
    {
        double counted = is_grad_enabled() ? 3.0 * forwardFlops : forwardFlops;
        Interlocked.Add(ref total, (long)counted);
        onThisThread += (long)counted;
    }
}
