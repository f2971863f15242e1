using static TorchSharp.torch;

namespace PrefLab.Algorithms.Dpo.Reference;

/// <summary>The reference model's summed completion log-probs of every pair of a split, indexed like its pairs.</summary>
public sealed record ReferenceLogProbs(double[] Chosen, double[] Rejected)
{
    public int Count => Chosen.Length;

    /// <summary>The values of <paramref name="examples"/>, in that order, as float64 tensors [examples].</summary>
    public (Tensor Chosen, Tensor Rejected) Select(IReadOnlyList<int> examples) =>
        (tensor(examples.Select(i => Chosen[i]).ToArray()), tensor(examples.Select(i => Rejected[i]).ToArray()));
}
