namespace PrefLab.Training;

public enum LrScheduleKind { Linear, Constant, Cosine }

/// <summary>
/// Options every trainer shares (DESIGN.md, same names on every command). Batch size is the micro-batch that
/// goes through the model at once; the optimizer sees <see cref="BatchSize"/> × <see cref="GradAccum"/>
/// examples per step.
/// </summary>
public sealed record TrainingOptions
{
    public long Seed { get; init; } = 1;
    public int Epochs { get; init; } = 1;
    /// <summary>Overrides <see cref="Epochs"/> when set.</summary>
    public long? MaxSteps { get; init; }
    public double Lr { get; init; } = 1e-5;
    public int BatchSize { get; init; } = 8;
    public int GradAccum { get; init; } = 1;
    public double WarmupRatio { get; init; }
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Linear;
    /// <summary>Where linear and cosine decay end, as a fraction of <see cref="Lr"/> (the paper's RM: 1e-5 to 1e-6 = 0.1).</summary>
    public double MinLrRatio { get; init; }
    /// <summary>Decoupled weight decay, passed to AdamW explicitly (TorchSharp's default is 0, PyTorch's 0.01).
    /// Applied to matrices only, never to norms or biases.</summary>
    public double WeightDecay { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Gradient clipping by global L2 norm; 0 disables.</summary>
    public double ClipNorm { get; init; } = 1.0;
    public int LogEvery { get; init; } = 1;
    /// <summary>Evaluate every N optimizer steps (0: only at the end, when there is evaluation data).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Checkpoint every N optimizer steps (0: none).</summary>
    public int SaveEvery { get; init; }
    public int KeepCheckpoints { get; init; } = 2;
    public bool Resume { get; init; }
    public bool Tensorboard { get; init; }
    /// <summary>Group examples of similar length into the same batches, to waste little on padding.</summary>
    public bool BucketByLength { get; init; } = true;
    /// <summary>The matrix products of every model the run computes with (policy, reference, reward and value
    /// models alike, so a reference's log-probs match the policy's at the start).</summary>
    public Models.Layers.LinearPrecision Precision { get; init; }
    /// <summary>Recompute each decoder block's activations in backward (less memory, one more forward per step);
    /// models trained under no_grad or with a KV cache are unaffected.</summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>A model's compute settings at <see cref="Precision"/> (a new instance: each model owns its own).</summary>
    public Models.Layers.ComputePrecision Compute()
    {
        var compute = Models.Layers.ComputePrecision.Of(Precision);
        compute.CheckpointLayers = GradientCheckpointing;
        return compute;
    }

    public int EffectiveBatch => BatchSize * GradAccum;

    /// <summary>Checks values a user can get wrong; errors name the option.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw Runtime.UserError.InOption("epochs", $"must be at least 1, not {Epochs}");
        if (MaxSteps is < 1) throw Runtime.UserError.InOption("max-steps", $"must be at least 1, not {MaxSteps}");
        if (!(Lr >= 0) || double.IsInfinity(Lr)) throw Runtime.UserError.InOption("lr", $"must be a non-negative number, not {Lr}");
        if (BatchSize < 1) throw Runtime.UserError.InOption("batch-size", $"must be at least 1, not {BatchSize}");
        if (GradAccum < 1) throw Runtime.UserError.InOption("grad-accum", $"must be at least 1, not {GradAccum}");
        if (WarmupRatio is < 0 or > 1) throw Runtime.UserError.InOption("warmup-ratio", $"must be between 0 and 1, not {WarmupRatio}");
        if (MinLrRatio is < 0 or > 1) throw Runtime.UserError.InOption("min-lr-ratio", $"must be between 0 and 1, not {MinLrRatio}");
        if (WeightDecay < 0) throw Runtime.UserError.InOption("weight-decay", $"must be non-negative, not {WeightDecay}");
        if (ClipNorm < 0) throw Runtime.UserError.InOption("clip-norm", $"must be non-negative, not {ClipNorm}");
        if (LogEvery < 1) throw Runtime.UserError.InOption("log-every", $"must be at least 1, not {LogEvery}");
        if (EvalEvery < 0) throw Runtime.UserError.InOption("eval-every", $"must be non-negative, not {EvalEvery}");
        if (SaveEvery < 0) throw Runtime.UserError.InOption("save-every", $"must be non-negative, not {SaveEvery}");
        if (KeepCheckpoints < 1) throw Runtime.UserError.InOption("keep-checkpoints", $"must be at least 1, not {KeepCheckpoints}");
    }
}
