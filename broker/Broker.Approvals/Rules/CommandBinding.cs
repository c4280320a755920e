using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Approvals;

/// <summary>
/// The hash that ties an approval to one exact command on one target under one role and one policy snapshot.
/// Each part is length-prefixed, so no choice of parts can produce another's bytes (<c>rm a</c> + <c>b</c> never
/// equals <c>rm</c> + <c>a b</c>).
/// </summary>
internal static class CommandBinding
{
    /// <summary>The lower-case hex SHA-256 of the four parts.</summary>
    public static string Compute(string command, string target, string role, string policyVersion)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(role);
        ArgumentNullException.ThrowIfNull(policyVersion);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var part in (ReadOnlySpan<string>)["broker.approval.v1", command, target, role, policyVersion])
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
