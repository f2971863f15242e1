namespace PrefLab.Data.Records;

/// <summary>What a format's rows become.</summary>
public enum RecordKind
{
    /// <summary><see cref="PreferencePair"/>s.</summary>
    Pairs,
    /// <summary><see cref="SftExample"/>s.</summary>
    Sft,
    /// <summary><see cref="TextRecord"/>s.</summary>
    Text,
    /// <summary><see cref="PromptRecord"/>s.</summary>
    Prompts,
    /// <summary><see cref="UnpairedExample"/>s: one completion a row, labelled desirable or undesirable (KTO).</summary>
    Unpaired,
}
