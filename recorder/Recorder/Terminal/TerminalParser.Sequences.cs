using System.Buffers;

namespace Recorder.Terminal;

// Escape, CSI, DCS and OSC sequences: collected byte by byte within MaxCollected, then judged whole by SequenceRules.
internal sealed partial class TerminalParser
{
    private readonly byte[] _collected = new byte[MaxCollected];
    private int _collectedLength;
    private bool _overflow;
    private byte _marker;
    private int _intermediatesAt = -1;
    private int _oscNumber;
    private int _oscDigits;

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
}
