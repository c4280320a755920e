using System.Buffers;

namespace Recorder.Terminal;

/// <summary>What a <see cref="TerminalParser"/> lets through.</summary>
internal enum TerminalParserMode
{
    /// <summary>Text, controls and sequences that only draw, normalized to 7-bit form; the rest is dropped and counted.</summary>
    Render,

    /// <summary>Only text, tabs and line feeds (carriage returns become line feeds when asked): a plain transcript.</summary>
    TextOnly,
}

/// <summary>
/// A streaming parser of terminal output after the DEC/ECMA-48 state machine that terminals
/// implement (vt100.net, "A parser for DEC's ANSI-compatible video terminals"), made UTF-8 aware
/// as a UTF-8 terminal is: sequences may be split across any chunks, C1 controls (U+0080..U+009F)
/// act as their ESC equivalents, bytes that are not UTF-8 (8-bit C1 bytes included) become U+FFFD,
/// and what it emits is valid UTF-8 in which every sequence was seen whole and judged.
/// The state is bounded: a sequence whose parameters exceed <see cref="MaxCollected"/> bytes is
/// dropped whole, and strings are never buffered (dropped ones are skipped, passed ones streamed).
/// </summary>
internal sealed class TerminalParser(TerminalParserMode mode, bool carriageReturnEndsLine = false)
{
    /// <summary>Longest parameter and intermediate part of a sequence kept; longer ones are dropped.</summary>
    public const int MaxCollected = 256;

    private const byte Esc = 0x1B;
    private const byte Can = 0x18;
    private const byte Sub = 0x1A;
    private static ReadOnlySpan<byte> Replacement => [0xEF, 0xBF, 0xBD];

    private readonly byte[] _collected = new byte[MaxCollected];
    private State _state = State.Ground;
    private int _collectedLength;
    private bool _overflow;
    private byte _marker;
    private int _intermediatesAt = -1;
    private int _oscNumber;
    private int _oscDigits;

    // A UTF-8 character being decoded: its bytes so far, how many it needs, the range of its second byte.
    private readonly byte[] _utf8 = new byte[4];
    private int _utf8Length;
    private int _utf8Needed;
    private byte _utf8SecondMin;
    private byte _utf8SecondMax;

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

    private void BeginEscape()
    {
        _state = State.Escape;
        _collectedLength = 0;
        _overflow = false;
        _marker = 0;
        _intermediatesAt = -1;
    }

    private void EscapeByte(byte b, IBufferWriter<byte> output)
    {
        if (b < 0x20)
        {
            Control(b, output);
            return;
        }

        if (b == 0x7F)
        {
            return;
        }

        if (b <= 0x2F)
        {
            Collect(b);
            _state = State.EscapeIntermediate;
            return;
        }

        if (_state == State.Escape)
        {
            switch (b)
            {
                case (byte)'[':
                    _state = State.Csi;
                    return;
                case (byte)'P':
                    _state = State.DcsHeader;
                    return;
                case (byte)']':
                    BeginOsc();
                    return;
                case (byte)'X' or (byte)'^' or (byte)'_':
                    Filtered.Add(FilteredSequenceKind.Other); // SOS, PM, APC: private strings (kitty graphics, file reads...)
                    _state = State.StringIgnore;
                    return;
            }
        }

        _state = State.Ground;
        var intermediates = Collected();
        var (action, kind) = _overflow ? (SequenceAction.Drop, FilteredSequenceKind.Other) : SequenceRules.Escape(intermediates, b);
        if (action == SequenceAction.Pass && mode == TerminalParserMode.Render)
        {
            Write(output, [Esc]);
            Write(output, intermediates);
            Write(output, [b]);
        }
        else if (action == SequenceAction.Drop && !(intermediates.IsEmpty && b == '\\'))
        {
            Dropped(kind);
        }
    }

    private void CsiByte(byte b, IBufferWriter<byte> output)
    {
        if (b < 0x20)
        {
            Control(b, output);
            return;
        }

        if (b == 0x7F)
        {
            return;
        }

        if (b >= 0x40)
        {
            FinishCsi(b, output);
            return;
        }

        if (_state == State.CsiIgnore)
        {
            return;
        }

        if (!CollectHeaderByte(b))
        {
            _state = State.CsiIgnore;
        }
    }

    private void FinishCsi(byte final, IBufferWriter<byte> output)
    {
        var ignored = _state == State.CsiIgnore || _overflow;
        _state = State.Ground;
        if (ignored)
        {
            Dropped(FilteredSequenceKind.Other);
            return;
        }

        var parameters = Parameters();
        var intermediates = Intermediates();
        var (action, kind) = SequenceRules.Csi(_marker, intermediates, final, parameters);
        switch (action)
        {
            case SequenceAction.Pass:
                if (mode == TerminalParserMode.Render)
                {
                    WriteCsi(output, parameters, intermediates, final);
                }

                break;
            case SequenceAction.PassDrawingModes:
                PassDrawingModes(output, parameters, final);
                break;
            default:
                Dropped(kind);
                break;
        }
    }

    private void DcsHeaderByte(byte b, IBufferWriter<byte> output)
    {
        if (b < 0x20 || b == 0x7F)
        {
            return; // ignored inside a device control string's header
        }

        if (b >= 0x40)
        {
            var ignored = _state == State.DcsIgnoreHeader || _overflow;
            var parameters = Parameters();
            var intermediates = Intermediates();
            var (action, kind) = ignored ? (SequenceAction.Drop, FilteredSequenceKind.Other) : SequenceRules.DeviceControl(_marker, intermediates, b);
            if (action == SequenceAction.Pass && mode == TerminalParserMode.Render)
            {
                Write(output, [Esc, (byte)'P']);
                WriteParameters(output, parameters);
                Write(output, [b]);
                _state = State.DcsPass;
                return;
            }

            if (action != SequenceAction.Pass)
            {
                Dropped(kind);
            }

            _state = State.DcsIgnore;
            return;
        }

        if (_state == State.DcsHeader && !CollectHeaderByte(b))
        {
            _state = State.DcsIgnoreHeader;
        }
    }

    /// <summary>Collects a parameter, private marker or intermediate byte; false when the sequence is malformed.</summary>
    private bool CollectHeaderByte(byte b)
    {
        if (b <= 0x2F)
        {
            _intermediatesAt = _intermediatesAt < 0 ? _collectedLength : _intermediatesAt;
            Collect(b);
            return true;
        }

        if (_intermediatesAt >= 0)
        {
            return false; // a parameter after an intermediate
        }

        if (b >= 0x3C)
        {
            // A private marker is only valid first.
            if (_collectedLength > 0 || _marker != 0)
            {
                return false;
            }

            _marker = b;
            return true;
        }

        Collect(b);
        return true;
    }

    private void BeginOsc()
    {
        _state = State.Osc;
        _oscNumber = 0;
        _oscDigits = 0;
    }

    private void OscNumberByte(byte b)
    {
        if (b is >= (byte)'0' and <= (byte)'9' && _oscDigits < 6)
        {
            _oscNumber = (_oscNumber * 10) + (b - '0');
            _oscDigits++;
            return;
        }

        // The number ends at ';' (or at anything else): the command is known, the rest is skipped.
        Dropped(_oscDigits > 0 && b == ';' ? SequenceRules.OperatingSystemCommand(_oscNumber) : FilteredSequenceKind.Other);
        _oscDigits = -1;
    }

    /// <summary>Leaves a string state: an OSC still being numbered counts now; a passed string is terminated.</summary>
    private void EndString(IBufferWriter<byte> output)
    {
        if (_state == State.Osc && _oscDigits >= 0)
        {
            Dropped(_oscDigits > 0 ? SequenceRules.OperatingSystemCommand(_oscNumber) : FilteredSequenceKind.Other);
        }
        else if (_state == State.DcsPass)
        {
            Write(output, [Esc, (byte)'\\']);
        }
        else if (_state is State.Escape or State.EscapeIntermediate or State.Csi or State.CsiIgnore or State.DcsHeader or State.DcsIgnoreHeader)
        {
            Dropped(FilteredSequenceKind.Other); // a sequence cut off by another: the terminal abandons it too
        }

        _state = State.Ground;
    }

    /// <summary>A C1 control, sent as one byte or UTF-8 encoded: the same as ESC and the byte 0x40 lower.</summary>
    private void C1(byte c1, IBufferWriter<byte> output)
    {
        EndString(output);
        if (c1 == 0x9C)
        {
            return; // ST: whatever it ends has ended
        }

        BeginEscape();
        EscapeByte((byte)(c1 - 0x40), output);
    }

    private void StartCharacter(byte b, IBufferWriter<byte> output)
    {
        (_utf8Needed, _utf8SecondMin, _utf8SecondMax) = b switch
        {
            >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
            0xE0 => (2, (byte)0xA0, (byte)0xBF),
            0xED => (2, (byte)0x80, (byte)0x9F),
            >= 0xE1 and <= 0xEF => (2, (byte)0x80, (byte)0xBF),
            0xF0 => (3, (byte)0x90, (byte)0xBF),
            >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
            0xF4 => (3, (byte)0x80, (byte)0x8F),
            _ => (0, (byte)0, (byte)0),
        };
        if (_utf8Needed > 0)
        {
            _utf8[0] = b;
            _utf8Length = 1;
            return;
        }

        // Not the start of a character: in a UTF-8 terminal a lone byte, 8-bit C1 controls included,
        // shows as U+FFFD and acts on nothing. C1 controls act when UTF-8 encoded (U+0080..U+009F).
        _utf8Length = 0;
        InvalidCharacter(output);
    }

    private void ContinueCharacter(byte b, IBufferWriter<byte> output)
    {
        var (min, max) = _utf8Length == 1 ? (_utf8SecondMin, _utf8SecondMax) : ((byte)0x80, (byte)0xBF);
        if (b < min || b > max)
        {
            // A character cut short: it is invalid, and the byte that cut it starts afresh.
            InvalidCharacter(output);
            Step(b, output);
            return;
        }

        _utf8[_utf8Length++] = b;
        if (--_utf8Needed > 0)
        {
            return;
        }

        var character = _utf8.AsSpan(0, _utf8Length);
        _utf8Length = 0;
        if (character.Length == 2 && character[0] == 0xC2 && character[1] <= 0x9F)
        {
            C1(character[1], output);
            return;
        }

        switch (_state)
        {
            case State.Ground:
                Write(output, character);
                break;
            case State.Osc:
                if (_oscDigits >= 0)
                {
                    OscNumberByte(character[0]);
                }

                break;
            case State.Escape or State.EscapeIntermediate or State.Csi or State.CsiIgnore or State.DcsHeader or State.DcsIgnoreHeader:
                // Not part of any sequence: the sequence is abandoned and the character is text.
                EndString(output);
                Write(output, character);
                break;
        }
    }

    private void InvalidCharacter(IBufferWriter<byte> output)
    {
        _utf8Needed = 0;
        _utf8Length = 0;
        if (_state is State.Ground)
        {
            Write(output, Replacement);
        }
        else if (_state is not (State.Osc or State.StringIgnore or State.DcsIgnore or State.DcsPass))
        {
            EndString(output);
            Write(output, Replacement);
        }
    }

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

    private ReadOnlySpan<byte> Parameters() => _intermediatesAt < 0 ? Collected() : Collected()[.._intermediatesAt];

    private ReadOnlySpan<byte> Intermediates() => _intermediatesAt < 0 ? [] : Collected()[_intermediatesAt..];

    private ReadOnlySpan<byte> Collected() => _collected.AsSpan(0, _collectedLength);

    private void Collect(byte b)
    {
        if (_collectedLength == _collected.Length)
        {
            _overflow = true;
            return;
        }

        _collected[_collectedLength++] = b;
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
