using System.Security.Cryptography;

namespace PrefLab.Algorithms.OnlineRl;

/// <summary>Whether two model folders tokenize alike: their tokenizer.json files have the same content hash.</summary>
public static class TokenizerIdentity
{
    public static string? Hash(string folder)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        return File.Exists(path) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : null;
    }

    public static bool Same(string folderA, string folderB) => Hash(folderA) is string a && a == Hash(folderB);
}
