using PrefLab.Algorithms.Kl;
using PrefLab.Runtime;
using Xunit;
using static PrefLab.Tests.Algorithms.Kit;
using static TorchSharp.torch;

namespace PrefLab.Tests.Algorithms;

public class KlMathTests
{
    public KlMathTests() => Load();

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Estimators_golden_and_signs(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var logp = Leaf(dtype, -1.0, -2.0, -0.5);
        var refLogp = Vec(dtype, -1.5, -1.0, -0.5);
        // d = logp - ref = [0.5, -1, 0].
        // k1 = d: positive where the policy gives its sample more probability than the reference.
        Close(new[] { 0.5, -1.0, 0.0 }, Values(KlEstimators.K1(logp, refLogp)), dtype, "k1");
        // k2 = d² / 2 = [0.125, 0.5, 0].
        Close(new[] { 0.125, 0.5, 0.0 }, Values(KlEstimators.K2(logp, refLogp)), dtype, "k2");
        // k3 = e^{-d} - 1 + d = [e^-0.5 - 0.5, e - 2, 0] = [0.106530659712633, 0.718281828459045, 0].
        var k3 = KlEstimators.K3(logp, refLogp);
        Close(new[] { Math.Exp(-0.5) - 0.5, Math.E - 2.0, 0.0 }, Values(k3), dtype, "k3");
        // d k3 / d logp = 1 - e^{ref - logp} = [1 - e^-0.5, 1 - e, 0].
        k3.sum().backward();
        Close(new[] { 1 - Math.Exp(-0.5), 1 - Math.E, 0.0 }, Grad(logp), dtype, "d k3 / d logp");
        Assert.Equal(Values(KlEstimators.K3(logp, refLogp)), Values(KlEstimators.Compute(KlEstimatorKind.K3, logp, refLogp)));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void K3_and_K2_are_never_negative(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(7, CPU);
        var logp = (randn(4096, generator: generator) * 3.0 - 2.0).to_type(dtype);
        // Tiny differences are where exp(d) - 1 - d cancels catastrophically.
        var refLogp = logp + randn(4096, generator: generator).to_type(dtype) * 1e-5;
        Assert.True(KlEstimators.K3(logp, refLogp).ge(0).all().item<bool>());
        Assert.True(KlEstimators.K3(logp, logp - 0.3 * randn(4096, generator: generator).to_type(dtype)).ge(0).all().item<bool>());
        Assert.True(KlEstimators.K2(logp, refLogp).ge(0).all().item<bool>());
        // Against the scalar definition on a few values.
        var a = Values(logp).Take(5).ToArray();
        var b = Values(refLogp).Take(5).ToArray();
        var k3 = Values(KlEstimators.K3(logp.narrow(0, 0, 5), refLogp.narrow(0, 0, 5)));
        for (int i = 0; i < 5; i++) Assert.True(Math.Abs(K3(a[i], b[i]) - k3[i]) <= (dtype == ScalarType.Float64 ? 1e-15 : 1e-9));
    }

    [Fact]
    public void Parse_names_the_option()
    {
        Assert.Equal(KlEstimatorKind.K3, KlEstimators.Parse("K3"));
        Assert.Contains("--kl-estimator", Assert.Throws<UserError>(() => KlEstimators.Parse("k4")).Message);
    }
}
