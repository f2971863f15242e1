using static TorchSharp.torch;

namespace PrefLab.Models;

/// <summary>How a model is written: the dtype on disk (float32 by default: a lossless round trip of the float32
/// master weights) and the shard size above which the weights are split (Hugging Face's 5 GB by default).</summary>
public sealed record ModelSaveOptions
{
    public ScalarType DType { get; init; } = ScalarType.Float32;
    public long MaxShardBytes { get; init; } = Checkpoints.CheckpointWriter.DefaultMaxShardBytes;
    /// <summary>A pad id to write into config.json instead of the config's (Hugging Face's sequence-classification
    /// models need one to score batches; a model whose tokenizer has no pad token often uses EOS).</summary>
    public int? PadTokenId { get; init; }
}
