using PrefLab.Models.LogProbs;
using PrefLab.Models;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>
/// The training-mode forwards of online RL over prompt + response rows ([b, P+R]: left-padded prompt, right-padded
/// response). The same function computes the rollout's old log-probs and values (no gradient) and the new ones
/// in training, so on identical rows the two agree bit for bit. Only the R positions that predict response tokens
/// (P-1 .. P+R-2, the causal shift) are projected to the vocabulary.
/// </summary>
public static class PolicyForward
{
    /// <summary>log π_T(y_t) of each response token at temperature T; 0 at padding. Differentiable. Large
    /// vocabularies take them in chunks of positions (<paramref name="chunking"/>, default <see cref="LogitChunking.Auto"/>).
    /// [b, P+R] ids and mask, [b, R] response ids and mask -> [b, R] float32.</summary>
    public static Tensor ResponseLogProbs(CausalLM model, Tensor inputIds, Tensor attentionMask, Tensor responseIds, Tensor responseMask,
        double temperature, LogitChunking? chunking = null)
    {
        using var scope = NewDisposeScope();
        long responseLength = responseIds.shape[1], promptLength = inputIds.shape[1] - responseLength;
        var hidden = model.HiddenStates(inputIds, attentionMask);                                  // [b, P+R, H]
        var predicting = hidden.narrow(1, promptLength - 1, responseLength);                       // [b, R, H]
        return ModelLogProbs.Gather(model, predicting, responseIds, responseMask, temperature, chunking).MoveToOuterDisposeScope();
    }

    /// <summary>The value model's V(s_t) for each response token: its output at the position before the token
    /// (the state in which the token was chosen, as TRL's PPO); 0 at padding. Differentiable.
    /// [b, P+R] ids and mask, [b, R] response mask -> [b, R] float32.</summary>
    public static Tensor ResponseValues(ScalarHeadModel model, Tensor inputIds, Tensor attentionMask, Tensor responseMask)
    {
        using var scope = NewDisposeScope();
        long responseLength = responseMask.shape[1], promptLength = inputIds.shape[1] - responseLength;
        var values = model.TokenValues(inputIds, attentionMask).narrow(1, promptLength - 1, responseLength); // [b, R]
        return Masks.Fill(values, responseMask).MoveToOuterDisposeScope();
    }
}
