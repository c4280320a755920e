namespace Broker.Masking.Detection;

/// <summary>ASCII character classes the detectors share.</summary>
internal static class ByteClass
{
    public static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    public static bool IsUpper(byte b) => b is >= (byte)'A' and <= (byte)'Z';

    public static bool IsLower(byte b) => b is >= (byte)'a' and <= (byte)'z';

    public static bool IsAlnum(byte b) => IsDigit(b) || IsUpper(b) || IsLower(b);

    public static bool IsBase64(byte b) => IsAlnum(b) || b is (byte)'+' or (byte)'/';

    public static bool IsBase64Url(byte b) => IsAlnum(b) || b is (byte)'-' or (byte)'_';

    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v';

    /// <summary>Characters of a key name in <c>key=value</c>: <c>DB_PASSWORD</c>, <c>x-api-key</c>, <c>spring.datasource.password</c>.</summary>
    public static bool IsKeyChar(byte b) => IsAlnum(b) || b is (byte)'_' or (byte)'-' or (byte)'.';

    /// <summary>Whether the bytes at <paramref name="index"/> equal <paramref name="literal"/> (case-sensitive) as far as the text goes.</summary>
    public static bool MatchesAt(ReadOnlySpan<byte> bytes, int index, ReadOnlySpan<char> literal)
    {
        for (var k = 0; k < literal.Length && index + k < bytes.Length; k++)
        {
            if (bytes[index + k] != literal[k])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="literal"/> lies whole at <paramref name="index"/> (case-sensitive; a character above 0xFF matches no byte).</summary>
    public static bool MatchesWhole(ReadOnlySpan<byte> bytes, int index, ReadOnlySpan<char> literal) =>
        index + literal.Length <= bytes.Length && MatchesAt(bytes, index, literal);

    /// <summary>Whether the ASCII <paramref name="literal"/> lies whole at <paramref name="index"/>, ASCII letters in either case.</summary>
    public static bool MatchesIgnoreCase(ReadOnlySpan<byte> bytes, int index, ReadOnlySpan<char> literal)
    {
        if (index + literal.Length > bytes.Length)
        {
            return false;
        }

        for (var k = 0; k < literal.Length; k++)
        {
            var b = bytes[index + k];
            var c = literal[k];
            if (b != c && !(char.IsAsciiLetter(c) && (b | 0x20) == (c | 0x20)))
            {
                return false;
            }
        }

        return true;
    }
}
