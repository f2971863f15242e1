using PrefLab.Data.Records;
using PrefLab.Generation;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// One update's samples: B = prompts × samples per prompt rows (a prompt's samples adjacent), their padded
/// tensors, and what the rollout engine computed about them before any update. Tensors live in the update's
/// dispose scope.
/// </summary>
public sealed class Rollout
{
    internal Rollout(long step, int[] promptIndices, IReadOnlyList<IReadOnlyList<Message>> prompts, GenerationResult generation, ResponseBatch batch)
    {
        Step = step;
        PromptIndices = promptIndices;
        Prompts = prompts;
        Generation = generation;
        Batch = batch;
    }

    /// <summary>The update (0-based) this rollout feeds.</summary>
    public long Step { get; }
    /// <summary>Per row: the prompt's index in the pool.</summary>
    public int[] PromptIndices { get; }
    public IReadOnlyList<IReadOnlyList<Message>> Prompts { get; }
    public GenerationResult Generation { get; }
    /// <summary>InputIds/AttentionMask [B, P+R], ResponseIds/ResponseMask (EOS included)/LogProbs (generation's) [B, R], HasEos [B].</summary>
    public ResponseBatch Batch { get; }
    public int Rows => PromptIndices.Length;
    public IReadOnlyList<string> Responses => Generation.Sequences.Select(s => s.Text ?? "").ToList();

    /// <summary>[B, R] log π_old at the sampling temperature, from the training-mode forward before any update.</summary>
    public Tensor OldLogProbs { get; internal set; } = null!;
    /// <summary>[B, R] log π_ref at the sampling temperature.</summary>
    public Tensor RefLogProbs { get; internal set; } = null!;
    /// <summary>[B] float32: the reward function's score of each prompt + response (before the missing-EOS penalty).</summary>
    public Tensor Scores { get; internal set; } = null!;
    /// <summary>The gold score of each sample when a World is given, else null.</summary>
    public double[]? Gold { get; internal set; }
    /// <summary>With a reward-model ensemble: [member][row] each member's (normalised) score, else null.</summary>
    public IReadOnlyList<double[]>? MemberScores { get; internal set; }

    public double GenerationSeconds { get; internal set; }
    public double ScoringSeconds { get; internal set; }
    public double LogProbSeconds { get; internal set; }

    /// <summary>Rows <paramref name="rows"/> of the rollout's tensors, for a micro-batch's forward.</summary>
    public RolloutSlice Slice(int[] rows) => new(this, rows);
}

/// <summary>A micro-batch of a rollout: the selected rows of its tensors (in the caller's dispose scope).</summary>
public sealed class RolloutSlice
{
    internal RolloutSlice(Rollout rollout, int[] rows)
    {
        Index = tensor(rows.Select(r => (long)r).ToArray());
        InputIds = rollout.Batch.InputIds.index_select(0, Index);
        AttentionMask = rollout.Batch.AttentionMask.index_select(0, Index);
        ResponseIds = rollout.Batch.ResponseIds.index_select(0, Index);
        ResponseMask = rollout.Batch.ResponseMask.index_select(0, Index);
        Rows = rows;
    }

    public int[] Rows { get; }
    /// <summary>int64 [b]: the rows.</summary>
    public Tensor Index { get; }
    public Tensor InputIds { get; }
    public Tensor AttentionMask { get; }
    public Tensor ResponseIds { get; }
    public Tensor ResponseMask { get; }

    /// <summary>The same rows of a [B, ...] tensor of the rollout.</summary>
    public Tensor Of(Tensor all) => all.index_select(0, Index);
}
