using System.Security.Cryptography;
using System.Text;
using Broker.Policy;

namespace Broker.Identity.Aws;

/// <summary>
/// Turns an identity into the names STS accepts. A subject that already fits is used as is, so
/// CloudTrail shows the agent's own name; one that needs changing (characters outside
/// <c>[\w+=,.@-]</c>, too long, too short) keeps a recognisable prefix and gains a hash of
/// issuer and subject, so two different identities never collapse into one name.
/// </summary>
internal static class AwsNames
{
    private const int MaximumNameLength = 64;
    private const int HashLength = 8;
    private const int MaximumTagValueLength = 256;

    public static string RoleSessionName(CallerIdentity identity) => StsName(identity);

    public static string SourceIdentity(CallerIdentity identity) => StsName(identity);

    public static string TagValue(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, MaximumTagValueLength));
        foreach (var rune in value.EnumerateRunes())
        {
            if (builder.Length + rune.Utf16SequenceLength > MaximumTagValueLength)
            {
                break;
            }

            if (IsTagRune(rune))
            {
                builder.Append(rune.ToString());
            }
            else
            {
                builder.Append('_');
            }
        }

        return builder.ToString();
    }

    private static string StsName(CallerIdentity identity)
    {
        var subject = identity.Subject;
        var sanitized = new StringBuilder(Math.Min(subject.Length, MaximumNameLength));
        foreach (var c in subject)
        {
            if (sanitized.Length == MaximumNameLength)
            {
                break;
            }

            sanitized.Append(IsNameChar(c) ? c : '-');
        }

        var name = sanitized.ToString();
        if (name.Length >= 2 && string.Equals(name, subject, StringComparison.Ordinal))
        {
            return name;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.Issuer + "\n" + subject)))[..HashLength];
        var prefix = name.Length > MaximumNameLength - HashLength - 1 ? name[..(MaximumNameLength - HashLength - 1)] : name;
        return prefix.Length == 0 ? hash : prefix + "-" + hash;
    }

    // STS's tag pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*
    private static bool IsTagRune(Rune rune) =>
        Rune.IsLetter(rune) || Rune.IsNumber(rune) ||
        Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.SpaceSeparator or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator ||
        (rune.IsAscii && "_.:/=+-@".Contains((char)rune.Value, StringComparison.Ordinal));

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '=' or ',' or '.' or '@' or '-';
}
