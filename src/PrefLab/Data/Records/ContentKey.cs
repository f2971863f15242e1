using System.Security.Cryptography;
using System.Text;

namespace PrefLab.Data.Records;

/// <summary>A 128-bit digest of a message list (roles and contents, exactly), for deduplication without
/// holding the texts: collisions are out of reach at any dataset size.</summary>
internal static class ContentKey
{
    public static UInt128 Of(IReadOnlyList<Message> messages)
    {
        var text = new StringBuilder();
        foreach (var message in messages) text.Append(message.Role).Append('\u001f').Append(message.Content).Append('\u001e');
        return Of(text.ToString());
    }

    public static UInt128 Of(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return BitConverter.ToUInt128(hash[..16]);
    }
}
