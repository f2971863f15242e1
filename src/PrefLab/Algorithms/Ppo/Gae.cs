using PrefLab.Algorithms.Common;
using PrefLab.Models.LogProbs;
using static TorchSharp.torch;

namespace PrefLab.Algorithms.Ppo;

/// <summary>Advantages and returns from GAE; both 0 at masked positions.</summary>
/// <param name="Advantages">[batch, resp] Â_t (not whitened: whiten with <see cref="Masked.Whiten"/>).</param>
/// <param name="Returns">[batch, resp] Â_t + V_t, the value targets.</param>
public sealed record GaeResult(Tensor Advantages, Tensor Returns);

/// <summary>
/// Generalised advantage estimation (Schulman et al. 2016) over right-padded response tokens:
/// δ_t = r_t + γ V_{t+1} - V_t with V after the last response token taken as 0 (the episode ends at EOS, or at the
/// length limit, where no bootstrap is used: TRL's and OpenRLHF's choice), and Â_t = Σ_{l≥0} (γλ)^l δ_{t+l}.
/// Returns R_t = Â_t + V_t (TRL, OpenRLHF). The paper's defaults: γ = 1.0, λ = 0.95.
///
/// Masks must be right-padded (each row ones then zeros); rewards and values at masked positions are ignored
/// (replaced by 0 before use, so a stale value in the padding cannot leak into the last real token's δ, which is
/// what happens in a loop that reads values[:, t+1] from padding that was not zeroed).
/// <see cref="Compute"/> is vectorised (one [resp, resp] discount matrix and a matmul);
/// <see cref="ComputeLoop"/> is the plain backward recursion Â_t = δ_t + γλ Â_{t+1}, kept as the reference.
/// </summary>
public static class Gae
{
    public const double DefaultGamma = 1.0;
    public const double DefaultLambda = 0.95;

    /// <summary>Vectorised GAE. [batch, resp] x3 -> <see cref="GaeResult"/>.</summary>
    public static GaeResult Compute(Tensor rewards, Tensor values, Tensor mask, double gamma = DefaultGamma, double lambda = DefaultLambda)
    {
        Validate(rewards, values, mask, gamma, lambda);
        using var scope = NewDisposeScope();
        var (r, v, deltas) = Deltas(rewards, values, mask, gamma);
        long steps = r.shape[1];
        // W[t, s] = (γλ)^(s - t) for s ≥ t, else 0; Â[b, t] = Σ_s δ[b, s] W[t, s].
        var positions = arange(steps, dtype: ScalarType.Int64, device: r.device);
        var lag = (positions.unsqueeze(0) - positions.unsqueeze(1)).to_type(r.dtype);   // [resp, resp]: s - t
        var discount = full_like(lag, gamma * lambda).pow(lag.clamp_min(0.0));
        discount = where(lag.ge(0.0), discount, zeros_like(discount));
        var advantages = Masks.Fill(deltas.matmul(discount.t()), mask);
        var returns = Masks.Fill(advantages + v, mask);
        return new GaeResult(advantages.MoveToOuterDisposeScope(), returns.MoveToOuterDisposeScope());
    }

    /// <summary>Reference GAE: the backward loop over time steps. Same contract as <see cref="Compute"/>.</summary>
    public static GaeResult ComputeLoop(Tensor rewards, Tensor values, Tensor mask, double gamma = DefaultGamma, double lambda = DefaultLambda)
    {
        Validate(rewards, values, mask, gamma, lambda);
        using var scope = NewDisposeScope();
        var (_, v, deltas) = Deltas(rewards, values, mask, gamma);
        var selected = Masks.AsFloat(mask, deltas.dtype);
        long steps = deltas.shape[1];
        var columns = new Tensor[steps];
        var next = zeros_like(deltas.select(1, 0));                                       // Â_{t+1}, [batch]
        for (long t = steps - 1; t >= 0; t--)
        {
            next = (deltas.select(1, t) + next * (gamma * lambda)) * selected.select(1, t);
            columns[t] = next;
        }
        var advantages = stack(columns, 1);
        var returns = Masks.Fill(advantages + v, mask);
        return new GaeResult(advantages.MoveToOuterDisposeScope(), returns.MoveToOuterDisposeScope());
    }

    // r, V with masked positions zeroed; δ_t = r_t + γ V_{t+1} - V_t, 0 at masked positions. [batch, resp] each.
    static (Tensor Rewards, Tensor Values, Tensor Deltas) Deltas(Tensor rewards, Tensor values, Tensor mask, double gamma)
    {
        var r = Masks.Fill(rewards, mask);
        var v = Masks.Fill(values.to_type(r.dtype), mask);
        long steps = r.shape[1];
        // V_{t+1}: shift left, 0 after the last column; right padding makes it 0 after the last real token too.
        var nextValues = cat(new[] { v.narrow(1, 1, steps - 1), zeros_like(v.narrow(1, 0, 1)) }, 1);
        var deltas = Masks.Fill(r + nextValues * gamma - v, mask);
        return (r, v, deltas);
    }

    static void Validate(Tensor rewards, Tensor values, Tensor mask, double gamma, double lambda)
    {
        Masks.RequireDim("rewards", rewards, 2);
        Masks.RequireFloating("rewards", rewards);
        Masks.RequireSameShape("rewards", rewards, "values", values);
        Masks.RequireSameShape("rewards", rewards, "mask", mask);
        if (rewards.shape[1] == 0) throw new ArgumentException("GAE needs at least one response position.");
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be in [0, 1]");
        if (!(lambda >= 0 && lambda <= 1)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be in [0, 1]");
        if (!Masks.IsRightPadded(mask))
            throw new ArgumentException("GAE needs right-padded response masks (each row ones, then only zeros).");
    }
}
