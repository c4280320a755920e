using System.Text;

namespace Recorder.Tests.Support;

/// <summary>Checks on bytes meant for a person's terminal, independent of the filter that produced them.</summary>
internal static class TerminalOutput
{
    /// <summary>
    /// The first thing in <paramref name="bytes"/> a terminal would act on outside the screen, or null:
    /// an OSC, APC, PM or SOS string, a device control string other than sixel graphics, ENQ, DECID,
    /// a CSI query or window operation, C1 controls (8-bit or UTF-8 encoded), or bytes that are not UTF-8.
    /// </summary>
    public static string? FindOutsideTheScreen(ReadOnlySpan<byte> bytes)
    {
        if (Encoding.UTF8.GetString(bytes).AsSpan().ContainsAnyInRange('\u0080', '\u009f'))
        {
            return "a C1 control";
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return "bytes that are not UTF-8";
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == 0x05)
            {
                return $"ENQ at byte {i}";
            }

            if (bytes[i] != 0x1B || i + 1 >= bytes.Length)
            {
                continue;
            }

            switch (bytes[i + 1])
            {
                case (byte)']' or (byte)'_' or (byte)'^' or (byte)'X' or (byte)'Z' or (byte)'k':
                    return $"ESC {(char)bytes[i + 1]} at byte {i}";
                case (byte)'P':
                    var final = bytes[(i + 2)..].IndexOfAnyInRange((byte)0x40, (byte)0x7E);
                    if (final < 0 || bytes[i + 2 + final] != 'q' || bytes.Slice(i + 2, final).IndexOfAnyExceptInRange((byte)'0', (byte)';') >= 0)
                    {
                        return $"a device control string other than sixel at byte {i}";
                    }

                    break;
                case (byte)'[':
                    var end = bytes[(i + 2)..].IndexOfAnyInRange((byte)0x40, (byte)0x7E);
                    if (end >= 0 && bytes[i + 2 + end] is (byte)'c' or (byte)'n' or (byte)'t' or (byte)'x' or (byte)'i')
                    {
                        return $"CSI ...{(char)bytes[i + 2 + end]} at byte {i}";
                    }

                    break;
            }
        }

        return null;
    }
}
