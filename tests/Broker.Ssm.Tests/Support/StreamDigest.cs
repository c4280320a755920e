using System.IO.Pipelines;
using System.Security.Cryptography;

namespace Broker.Ssm.Tests.Support;

/// <summary>Hashes a stream as it arrives, so a large transfer is checked without being kept.</summary>
internal static class StreamDigest
{
    public static async Task<(long Length, string Sha256)> OfAsync(PipeReader reader)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        while (true)
        {
            var result = await reader.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                hash.AppendData(segment.Span);
                length += segment.Length;
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await reader.CompleteAsync();
                return (length, Convert.ToHexStringLower(hash.GetHashAndReset()));
            }
        }
    }

    /// <summary>The digest of what <c>seq -w 0 N-1</c> prints (N a power of ten times a small number keeps widths equal).</summary>
    public static (long Length, string Sha256) OfSeq(int count)
    {
        var width = (count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new byte[width + 1];
        line[^1] = (byte)'\n';
        long length = 0;
        for (var i = 0; i < count; i++)
        {
            var value = i;
            for (var d = width - 1; d >= 0; d--)
            {
                line[d] = (byte)('0' + (value % 10));
                value /= 10;
            }

            hash.AppendData(line);
            length += line.Length;
        }

        return (length, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
