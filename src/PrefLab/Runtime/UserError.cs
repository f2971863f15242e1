namespace PrefLab.Runtime;

/// <summary>
/// An error the user can fix (bad option, bad input file, missing folder). The CLI prints its message as one
/// line and exits 2, without a stack trace unless --verbose. Messages name the file, line and field, or the option.
/// </summary>
public class UserError : Exception
{
    public UserError(string message) : base(message) { }
    public UserError(string message, Exception inner) : base(message, inner) { }

    /// <summary>An error in a data file: "FILE:LINE: field 'FIELD': what is wrong".</summary>
    public static UserError InFile(string path, long line, string? field, string what) =>
        new(field is null ? $"{path}:{line}: {what}" : $"{path}:{line}: field '{field}': {what}");

    /// <summary>An error in an option's value: "option --NAME: what is wrong".</summary>
    public static UserError InOption(string option, string what) =>
        new($"option {(option.StartsWith('-') ? option : "--" + option)}: {what}");
}
