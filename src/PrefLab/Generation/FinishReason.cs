namespace PrefLab.Generation;

/// <summary>Why a sequence stopped. JSON names: "eos", "stop", "length".</summary>
public enum FinishReason
{
    /// <summary>It produced one of the EOS ids (the EOS token is the last of its tokens).</summary>
    Eos,
    /// <summary>Its decoded text came to contain a stop string (see <see cref="GeneratedSequence.StopString"/>).</summary>
    StopString,
    /// <summary>It reached <see cref="GenerationOptions.MaxNewTokens"/>.</summary>
    Length,
}

public static class FinishReasons
{
    /// <summary>"eos", "stop" or "length" (vLLM/OpenAI use "stop" for both EOS and stop strings; we keep them apart).</summary>
    public static string Name(this FinishReason reason) => reason switch
    {
        FinishReason.Eos => "eos",
        FinishReason.StopString => "stop",
        _ => "length",
    };
}
