using System.Buffers;

namespace Recorder.Terminal;

/// <summary>
/// A streaming parser of terminal output after the DEC/ECMA-48 state machine that terminals
/// implement (vt100.net, "A parser for DEC's ANSI-compatible video terminals"), made UTF-8 aware
/// as a UTF-8 terminal is: sequences may be split across any chunks, C1 controls (U+0080..U+009F)
/// act as their ESC equivalents, bytes that are not UTF-8 (8-bit C1 bytes included) become U+FFFD,
/// and what it emits is valid UTF-8 in which every sequence was seen whole and judged.
/// The state is bounded: a sequence whose parameters exceed <see cref="MaxCollected"/> bytes is
/// dropped whole, and strings are never buffered (dropped ones are skipped, passed ones streamed).
/// </summary>
internal sealed partial class TerminalParser(TerminalParserMode mode, bool carriageReturnEndsLine = false)
{
    /// <summary>Longest parameter and intermediate part of a sequence kept; longer ones are dropped.</summary>
    public const int MaxCollected = 256;

    private const byte Esc = 0x1B;
    private const byte Can = 0x18;
    private const byte Sub = 0x1A;
    private static ReadOnlySpan<byte> Replacement => [0xEF, 0xBF, 0xBD];

    private State _state = State.Ground;

    private enum State
    {
        Ground,
        Escape,
        EscapeIntermediate,
        Csi,
        CsiIgnore,
        DcsHeader,
        DcsIgnoreHeader,
        DcsPass,
        DcsIgnore,
        Osc,
        StringIgnore,
    }

    /// <summary>What was dropped, by kind (render mode).</summary>
    public FilteredSequences Filtered { get; } = new();

    /// <summary>Parses <paramref name="input"/> and writes what passes to <paramref name="output"/>.</summary>
    public void Parse(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        var i = 0;
        while (i < input.Length)
        {
            if (_state == State.Ground && _utf8Needed == 0)
            {
                // Plain printable ASCII, the bulk of any output, is copied in runs.
                var run = input[i..].IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
                var length = run < 0 ? input.Length - i : run;
                if (length > 0)
                {
                    output.Write(input.Slice(i, length));
                    i += length;
                    continue;
                }
            }

            Step(input[i], output);
            i++;
        }
    }

    /// <summary>Ends the stream: a character cut short becomes U+FFFD, a passed string is terminated, anything else open is dropped.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (_utf8Needed > 0)
        {
            InvalidCharacter(output);
        }

        EndString(output);
    }

    private void Step(byte b, IBufferWriter<byte> output)
    {
        if (_utf8Needed > 0)
        {
            ContinueCharacter(b, output);
            return;
        }

        if (b >= 0x80)
        {
            StartCharacter(b, output);
            return;
        }

        if (b is Can or Sub && _state != State.Ground)
        {
            // Cancels any sequence; the terminal never saw the ones that are dropped, and a passed string is closed properly.
            EndString(output);
            _state = State.Ground;
            return;
        }

        if (b == Esc)
        {
            EndString(output);
            BeginEscape();
            return;
        }

        switch (_state)
        {
            case State.Ground:
                Ground(b, output);
                break;
            case State.Escape:
            case State.EscapeIntermediate:
                EscapeByte(b, output);
                break;
            case State.Csi:
            case State.CsiIgnore:
                CsiByte(b, output);
                break;
            case State.DcsHeader:
            case State.DcsIgnoreHeader:
                DcsHeaderByte(b, output);
                break;
            case State.DcsPass:
                if (b is >= 0x20 and < 0x7F)
                {
                    Write(output, [b]);
                }

                break;
            case State.Osc:
                if (b == 0x07)
                {
                    EndString(output); // BEL ends an OSC, as xterm has it
                }
                else if (_oscDigits >= 0)
                {
                    OscNumberByte(b);
                }

                break;
        }
    }

    private void Ground(byte b, IBufferWriter<byte> output)
    {
        if (b >= 0x20)
        {
            // DEL: terminals ignore it; a transcript has no use for it.
            if (b != 0x7F || mode == TerminalParserMode.Render)
            {
                Write(output, [b]);
            }

            return;
        }

        Control(b, output);
    }

    /// <summary>A C0 control to act on now (in the ground state, or inside a sequence, where terminals also act on it at once).</summary>
    private void Control(byte b, IBufferWriter<byte> output)
    {
        if (mode == TerminalParserMode.TextOnly)
        {
            if (b is 0x0A or 0x09)
            {
                Write(output, [b]);
            }
            else if (b == 0x0D && carriageReturnEndsLine)
            {
                Write(output, [0x0A]);
            }

            return;
        }

        switch (b)
        {
            case 0x00:
                return; // padding
            case 0x05:
                Filtered.Add(FilteredSequenceKind.Query); // ENQ: the terminal would type its answerback message
                return;
            default:
                Write(output, [b]);
                return;
        }
    }

    private void Dropped(FilteredSequenceKind kind)
    {
        if (mode == TerminalParserMode.Render)
        {
            Filtered.Add(kind);
        }
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes) => output.Write(bytes);
}
