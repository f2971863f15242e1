using System.Globalization;

namespace PrefLab.Runtime.Options;

/// <summary>
/// One option of a command, declared once in the library: its name (without dashes), help text, default and how
/// its text is read. The CLI turns each into a System.CommandLine option; the lab reads a grid's settings through
/// the same specs, so a value means the same, defaults the same and fails the same way on both paths.
/// </summary>
public abstract class OptionSpec
{
    protected OptionSpec(string name, string description)
    {
        if (name.StartsWith('-')) throw new ArgumentException("option names are given without dashes", nameof(name));
        Name = name;
        Description = description;
    }

    /// <summary>The name without dashes (<c>lr</c>, <c>max-length</c>): the CLI's <c>--lr</c>, a grid's <c>lr:</c>.</summary>
    public string Name { get; }
    public string Description { get; }
    public string? HelpName { get; init; }
    public bool Required { get; init; }

    /// <summary>The value's type (<c>double</c>, <c>int?</c>, an enum, <c>string[]</c>, ...).</summary>
    public abstract Type ValueType { get; }

    /// <summary>True for a switch (<c>bool</c>): given alone it means true.</summary>
    public bool IsFlag => ValueType == typeof(bool);

    /// <summary>True when the option may be repeated (<c>string[]</c>): each value is one element.</summary>
    public bool IsList => ValueType == typeof(string[]);

    /// <summary>The value when the option is not given.</summary>
    public abstract object? DefaultValue { get; }

    /// <summary>The value of the option's texts (one, or several for a list); a bad text is a
    /// <see cref="UserError"/> naming the option.</summary>
    public abstract object? Parse(IReadOnlyList<string> texts);

    public abstract TResult Accept<TResult>(IOptionSpecVisitor<TResult> visitor);

    public override string ToString() => "--" + Name;
}

/// <summary>Builds something per spec with the spec's value type known (the CLI's typed options).</summary>
public interface IOptionSpecVisitor<out TResult>
{
    TResult Visit<T>(OptionSpec<T> spec);
}

/// <summary>An option whose value is a <typeparamref name="T"/>.</summary>
public sealed class OptionSpec<T> : OptionSpec
{
    public OptionSpec(string name, string description) : base(name, description) { }

    /// <summary>The default, computed when asked (so defaults that read the machine are not read at start-up).</summary>
    public Func<T>? Default { get; init; }

    /// <summary>The spec's own reader of the last text given (e.g. <c>auto</c> resolved to the machine's precision);
    /// null reads the type plainly.</summary>
    public Func<string, T>? Parser { get; init; }

    public override Type ValueType => typeof(T);
    /// <summary>The default, or the type's own (false for a switch, null for a nullable or a text).</summary>
    public override object? DefaultValue => Default is null ? default(T) : Default();

    public T DefaultOrDefault => Default is null ? default! : Default();

    public override object? Parse(IReadOnlyList<string> texts)
    {
        if (IsList) return texts.ToArray();
        if (texts.Count == 0)
            return IsFlag ? true : throw UserError.InOption(Name, "needs a value");
        string text = texts[^1];
        return Parser is not null ? Parser(text) : OptionText.Read(typeof(T), text, Name);
    }

    public T ParseTyped(IReadOnlyList<string> texts) => (T)Parse(texts)!;

    public override TResult Accept<TResult>(IOptionSpecVisitor<TResult> visitor) => visitor.Visit(this);
}

/// <summary>The plain reading of an option's text as its type, with errors that name the option.</summary>
public static class OptionText
{
    public static object? Read(Type type, string text, string option)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
            return text.Length == 0 ? null : Read(underlying, text, option);
        if (type == typeof(string)) return text;
        if (type == typeof(bool))
            return bool.TryParse(text.Trim(), out bool flag) ? flag : throw UserError.InOption(option, $"'{text}' is not true or false");
        if (type == typeof(int))
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) ? i : throw UserError.InOption(option, $"'{text}' is not a whole number");
        if (type == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) ? l : throw UserError.InOption(option, $"'{text}' is not a whole number");
        if (type == typeof(double))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : throw UserError.InOption(option, $"'{text}' is not a number");
        if (type.IsEnum)
        {
            if (!int.TryParse(text, out _) && Enum.TryParse(type, text.Trim(), ignoreCase: true, out object? value)) return value;
            throw UserError.InOption(option, $"'{text}' is not one of {string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))}");
        }
        throw new NotSupportedException($"option --{option}: values of type {type.Name} have no plain reading");
    }
}
