using System.Buffers;

namespace Recorder.Terminal;

// What passes is written in normalized 7-bit form: drawing modes filtered one by one, numbers capped.
internal sealed partial class TerminalParser
{
    private void PassDrawingModes(IBufferWriter<byte> output, ReadOnlySpan<byte> parameters, byte final)
    {
        Span<byte> kept = stackalloc byte[MaxCollected];
        var keptLength = 0;
        foreach (var range in parameters.Split((byte)';'))
        {
            var text = parameters[range];
            if (text.IsEmpty || text.Length > 5 || text.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
            {
                Dropped(FilteredSequenceKind.Other);
                continue;
            }

            var value = int.Parse(text, provider: System.Globalization.CultureInfo.InvariantCulture);
            if (!SequenceRules.IsDrawingMode(_marker, value))
            {
                Dropped(SequenceRules.ModeKind(_marker, value));
                continue;
            }

            if (keptLength > 0)
            {
                kept[keptLength++] = (byte)';';
            }

            text.CopyTo(kept[keptLength..]);
            keptLength += text.Length;
        }

        if (keptLength > 0 && mode == TerminalParserMode.Render)
        {
            WriteCsi(output, kept[..keptLength], [], final);
        }
    }

    private void WriteCsi(IBufferWriter<byte> output, ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> intermediates, byte final)
    {
        Write(output, [Esc, (byte)'[']);
        if (_marker != 0)
        {
            Write(output, [_marker]);
        }

        WriteParameters(output, parameters);
        Write(output, intermediates);
        Write(output, [final]);
    }

    /// <summary>Writes parameters with every number capped at 65535 (a huge repeat or insert count would stall the terminal).</summary>
    private static void WriteParameters(IBufferWriter<byte> output, ReadOnlySpan<byte> parameters)
    {
        var i = 0;
        while (i < parameters.Length)
        {
            var digits = parameters[i..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            var length = digits < 0 ? parameters.Length - i : digits;
            if (length == 0)
            {
                Write(output, parameters.Slice(i, 1));
                i++;
                continue;
            }

            var number = parameters.Slice(i, length).TrimStart((byte)'0');
            Write(output, number.Length > 5 || (number.Length == 5 && number.SequenceCompareTo("65535"u8) > 0) ? "65535"u8 : parameters.Slice(i, length));
            i += length;
        }
    }
}
