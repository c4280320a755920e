using System.Buffers;

namespace Recorder.Terminal;

// UTF-8 decoding as a UTF-8 terminal does it: C1 controls act when encoded, anything that is not UTF-8 becomes U+FFFD.
internal sealed partial class TerminalParser
{
    // A UTF-8 character being decoded: its bytes so far, how many it needs, the range of its second byte.
    private readonly byte[] _utf8 = new byte[4];
    private int _utf8Length;
    private int _utf8Needed;
    private byte _utf8SecondMin;
    private byte _utf8SecondMax;

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
}
