using PrefLab.Runtime;

namespace PrefLab.Algorithms.Dpo;

/// <summary>The DPO-family objectives behind <c>preflab dpo --loss</c>.</summary>
public enum DpoLossType
{
    /// <summary>`dpo`: sigmoid loss of Rafailov et al. 2023, -log σ(β h) on summed log-probs.</summary>
    Dpo,
    /// <summary>`cdpo`: conservative DPO (Mitchell 2023), label smoothing ε.</summary>
    Cdpo,
    /// <summary>`ipo`: Azar et al. 2023, squared loss (h - 1/(2β))² on length-averaged log-probs (as TRL).</summary>
    Ipo,
    /// <summary>`simpo`: Meng et al. 2024, reference-free, length-averaged, target margin γ.</summary>
    Simpo,
    /// <summary>`dpo-norm`: the sigmoid loss on length-averaged log-probs.</summary>
    DpoNorm,
}

/// <summary>Names, parsing and properties of <see cref="DpoLossType"/>.</summary>
public static class DpoLossTypes
{
    /// <summary>Every loss, in the order the help text lists them.</summary>
    public static IReadOnlyList<DpoLossType> All { get; } =
        [DpoLossType.Dpo, DpoLossType.Ipo, DpoLossType.Cdpo, DpoLossType.Simpo, DpoLossType.DpoNorm];

    /// <summary>The command-line name: dpo, ipo, cdpo, simpo, dpo-norm.</summary>
    public static string Name(DpoLossType loss) => loss switch
    {
        DpoLossType.Dpo => "dpo",
        DpoLossType.Cdpo => "cdpo",
        DpoLossType.Ipo => "ipo",
        DpoLossType.Simpo => "simpo",
        DpoLossType.DpoNorm => "dpo-norm",
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, null),
    };

    /// <summary>Parses a command-line name; an unknown name is a <see cref="UserError"/> naming the option.</summary>
    public static DpoLossType Parse(string value, string option = DpoOptions.LossOption)
    {
        foreach (var loss in All)
            if (string.Equals(Name(loss), value.Trim(), StringComparison.OrdinalIgnoreCase)) return loss;
        throw UserError.InOption(option, $"'{value}' is not a DPO loss; use one of {string.Join(", ", All.Select(Name))}");
    }

    /// <summary>False only for SimPO, which needs no reference model.</summary>
    public static bool UsesReference(DpoLossType loss) => loss != DpoLossType.Simpo;
}
