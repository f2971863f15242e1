namespace PrefLab.Runtime.Options;

/// <summary>
/// The values a command runs with: what was given (on the command line, in a config file or in a grid's settings)
/// over each spec's default. Reading an undeclared option is a bug; giving one is the user's error.
/// </summary>
public sealed class OptionValues
{
    readonly Dictionary<string, OptionSpec> specs;
    readonly Dictionary<string, object?> given;
    readonly Dictionary<string, object?> alsoRecorded = new(StringComparer.Ordinal);

    /// <param name="given">Option name (no dashes) → parsed value, for the options given.</param>
    public OptionValues(IEnumerable<OptionSpec> specs, IReadOnlyDictionary<string, object?> given)
    {
        this.specs = new Dictionary<string, OptionSpec>(StringComparer.Ordinal);
        foreach (var spec in specs)
            if (!this.specs.TryAdd(spec.Name, spec)) throw new ArgumentException($"option --{spec.Name} is declared twice", nameof(specs));
        foreach (string name in given.Keys)
            if (!this.specs.ContainsKey(name)) throw new ArgumentException($"--{name} is not one of the command's options", nameof(given));
        this.given = new Dictionary<string, object?>(given, StringComparer.Ordinal);
        foreach (var spec in this.specs.Values)
            if (spec.Required && (!this.given.TryGetValue(spec.Name, out var value) || value is null))
                throw UserError.InOption(spec.Name, "is required");
    }

    /// <summary>Reads each option's texts through its spec.</summary>
    /// <param name="texts">Option name → its texts (several for a repeated option; none for a bare flag).</param>
    /// <param name="context">Says where the texts come from in an unknown-option error (e.g. a lab node).</param>
    static OptionValues FromTexts(IReadOnlyList<OptionSpec> specs, IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> texts, string context)
    {
        var byName = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var given = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, values) in texts)
        {
            if (!byName.TryGetValue(name, out var spec))
                throw new UserError($"{context}: unknown option --{name}; known: {string.Join(", ", specs.Select(s => "--" + s.Name).Order(StringComparer.Ordinal))}");
            given[name] = spec.Parse(values);
        }
        return new OptionValues(specs, given);
    }

    /// <summary>Reads a command line (<c>--name value</c>, a switch alone or followed by true/false, a list's option
    /// repeated) through the specs, as the lab hands a node's settings to its command. A single-valued option given
    /// twice is an error, so a setting cannot silently replace what the lab passes itself.</summary>
    public static OptionValues FromTokens(IReadOnlyList<OptionSpec> specs, IReadOnlyList<string> tokens, string context)
    {
        var byName = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var texts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal))
                throw new UserError($"{context}: '{token}' is not an option (options start with --)");
            string name = token[2..];
            if (!byName.TryGetValue(name, out var spec))
                throw new UserError($"{context}: unknown option --{name}; known: {string.Join(", ", specs.Select(s => "--" + s.Name).Order(StringComparer.Ordinal))}");
            if (texts.ContainsKey(name) && !spec.IsList)
                throw UserError.InOption(name, $"is given twice ({context})");
            var list = texts.TryGetValue(name, out var existing) ? existing : texts[name] = [];
            bool hasValue = i + 1 < tokens.Count && !(spec.IsFlag && !bool.TryParse(tokens[i + 1], out _));
            if (spec.IsFlag && !hasValue) continue;
            if (!hasValue) throw UserError.InOption(name, $"needs a value ({context})");
            list.Add(tokens[++i]);
        }
        return FromTexts(specs, texts.Select(p => new KeyValuePair<string, IReadOnlyList<string>>(p.Key, p.Value)), context);
    }

    /// <summary>True when the option was given (even at its default's value).</summary>
    public bool IsGiven(OptionSpec spec) => given.ContainsKey(Known(spec).Name);

    public T Get<T>(OptionSpec<T> spec) =>
        given.TryGetValue(Known(spec).Name, out var value) ? (T)value! : spec.DefaultOrDefault;

    /// <summary>Every option's value (given or default) by name, for run.json's <c>options</c>, with what
    /// <see cref="AlsoRecord"/> added (the CLI's global options).</summary>
    public Dictionary<string, object?> Recorded()
    {
        var recorded = new Dictionary<string, object?>(alsoRecorded, StringComparer.Ordinal);
        foreach (var spec in specs.Values)
            recorded[spec.Name] = given.TryGetValue(spec.Name, out var value) ? value : spec.DefaultValue;
        return recorded;
    }

    /// <summary>Records <paramref name="name"/> in run.json's options beside the command's own (e.g. <c>threads</c>).</summary>
    public OptionValues AlsoRecord(string name, object? value)
    {
        if (specs.ContainsKey(name)) throw new ArgumentException($"--{name} is one of the command's own options", nameof(name));
        alsoRecorded[name] = value;
        return this;
    }

    OptionSpec Known(OptionSpec spec) =>
        specs.TryGetValue(spec.Name, out var known) && ReferenceEquals(known, spec) ? known
            : throw new InvalidOperationException($"--{spec.Name} is not one of this command's options");
}
