namespace PrefLab.Data.Records;

/// <summary>Raw text for causal-LM pretraining (a <c>{"text"}</c> row).</summary>
public sealed record TextRecord(string Text) : DataRecord;
