namespace Broker.DevServices.Ssm.Agent;

/// <summary>How the agent cuts output into payloads: at most 1024 bytes, never inside a UTF-8 sequence.</summary>
internal static class Utf8Chunks
{
    /// <summary>The agent's payload limit.</summary>
    public const int MaxPayload = 1024;

    /// <summary>The length of the next payload taken from the start of <paramref name="data"/>.</summary>
    public static int NextLength(ReadOnlySpan<byte> data, int max = MaxPayload)
    {
        if (data.Length <= max)
        {
            return data.Length;
        }

        // A continuation byte at the cut means a sequence straddles it: cut before its lead byte.
        if ((data[max] & 0xC0) != 0x80)
        {
            return max;
        }

        var i = max - 1;
        while (i > max - 4 && i > 0 && (data[i] & 0xC0) == 0x80)
        {
            i--;
        }

        return (data[i] & 0xC0) == 0xC0 ? i : max;
    }

    /// <summary>How many bytes at the end of <paramref name="data"/> start a character that is not complete.</summary>
    public static int IncompleteTail(ReadOnlySpan<byte> data)
    {
        for (var k = 1; k <= Math.Min(3, data.Length); k++)
        {
            var b = data[^k];
            if ((b & 0xC0) == 0xC0)
            {
                var needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                return needed > k ? k : 0;
            }

            if ((b & 0xC0) != 0x80)
            {
                return 0;
            }
        }

        return 0;
    }
}
