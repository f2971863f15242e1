namespace PrefLab.Text.Chat;

/// <summary>String operations as Jinja templates (Python strings) do them.</summary>
internal static class JinjaText
{
    /// <summary>Python's str.strip() / Jinja's trim filter: removes whitespace as Python defines it, which
    /// besides Unicode's White_Space includes U+001C..U+001F.</summary>
    public static string Strip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsPythonSpace(s[start])) start++;
        while (end > start && IsPythonSpace(s[end - 1])) end--;
        return s[start..end];
    }

    static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';
}
