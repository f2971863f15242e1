namespace PrefLab.Text.Jinja;

/// <summary>Whitespace as Python's str methods define it.</summary>
public static class PythonText
{
    /// <summary>Python's str.isspace() for one character: Unicode White_Space plus U+001C..U+001F.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    /// <summary>Python's str.strip() / Jinja's trim filter.</summary>
    public static string Strip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsSpace(s[start])) start++;
        while (end > start && IsSpace(s[end - 1])) end--;
        return s[start..end];
    }
}
