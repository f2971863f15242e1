using PrefLab.Runtime;
using PrefLab.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrefLab.Tests.Training;

/// <summary>
/// A token-level regression task with variable-length examples, standing in for a language model in loop
/// tests: example i has Lengths[i] tokens of 4 features; the loss is the squared error summed over real
/// tokens and normalised by the step's token count (as SFT's is).
/// </summary>
public sealed class ToyObjective : ITrainingObjective
{
    const int MaxLength = 6, Features = 4;
    readonly Tensor inputs, targets;   // [count, MaxLength, Features], [count, MaxLength]
    readonly int[] lengths;
    public readonly Sequential Model;
    public Func<int, bool>? PoisonExample { get; set; }
    int computeCalls;

    public ToyObjective(int count, long seed)
    {
        var generator = new Generator((ulong)seed);
        inputs = randn(new long[] { count, MaxLength, Features }, generator: generator);
        targets = randn(new long[] { count, MaxLength }, generator: generator);
        var random = new Random((int)seed);
        lengths = Enumerable.Range(0, count).Select(_ => random.Next(1, MaxLength + 1)).ToArray();
        manual_seed(seed);
        Model = nn.Sequential(("0", nn.Linear(Features, 8)), ("1", nn.Tanh()), ("2", nn.Linear(8, 1)));
    }

    public int Count => lengths.Length;
    public Func<int, int>? Length => i => lengths[i];
    public IEnumerable<Parameter> Parameters => Model.parameters();
    public int ComputeCalls => computeCalls;

    public double Weight(IReadOnlyList<int> examples) => examples.Sum(i => lengths[i]);

    public MicroBatchResult Compute(IReadOnlyList<int> examples)
    {
        computeCalls++;
        var index = tensor(examples.Select(i => (long)i).ToArray());
        var x = inputs.index_select(0, index);                       // [b, L, F]
        var y = targets.index_select(0, index);                      // [b, L]
        var mask = tensor(examples.SelectMany(i => Enumerable.Range(0, MaxLength).Select(t => t < lengths[i] ? 1f : 0f)).ToArray())
            .reshape(examples.Count, MaxLength);                     // [b, L]
        var prediction = Model.forward(x).squeeze(-1);               // [b, L]
        var error = (prediction - y).Squared() * mask;
        var lossSum = error.sum();
        if (PoisonExample is not null && examples.Any(PoisonExample)) lossSum = lossSum * double.NaN;
        double abs = (prediction - y).abs().mul(mask).sum().item<float>();
        return new MicroBatchResult(lossSum, new Dictionary<string, (double, double)> { ["mae"] = (abs, mask.sum().item<float>()) },
            (long)mask.sum().item<float>());
    }

    public IReadOnlyDictionary<string, double> Evaluate() => new Dictionary<string, double>
    {
        ["eval/loss"] = Compute(Enumerable.Range(0, Math.Min(8, Count)).ToArray()).LossSum.item<float>() / Weight(Enumerable.Range(0, Math.Min(8, Count)).ToArray()),
    };

    public void SaveModel(string folder) => Model.save(Path.Combine(folder, "toy.bin"));

    public void LoadModel(string folder) => Model.load(Path.Combine(folder, "toy.bin"));

    public float[] Weights() => Model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
}
