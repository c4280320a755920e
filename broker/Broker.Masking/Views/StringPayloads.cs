namespace Broker.Masking.Views;

/// <summary>
/// The payloads of OSC, DCS, SOS, PM and APC strings (window titles, hyperlinks, clipboard writes, terminal
/// queries), which a terminal does not print but a program can read back, and which show in title bars and
/// clipboards. Each payload is read as a line of its own; an OSC 52 clipboard write is base64-decoded first,
/// and the decoded text is read too (a match there masks the base64 characters that carry it).
/// </summary>
internal sealed class StringPayloads
{
    private const byte Separator = (byte)'\n';

    private readonly Func<int, LinearView> _createView;
    private LinearView? _payloads;
    private LinearView? _clipboard;
    private Osc52State _osc52;
    private int _number;
    private int _groupLength;
    private int _group;
    private long _groupStart;

    /// <param name="createView">Creates a view; its argument is how many raw bytes after a masked range still carry part of it.</param>
    public StringPayloads(Func<int, LinearView> createView) => _createView = createView;

    /// <summary>The views created so far (none before the first string).</summary>
    public IEnumerable<LinearView> Views
    {
        get
        {
            if (_payloads is not null)
            {
                yield return _payloads;
            }

            if (_clipboard is not null)
            {
                yield return _clipboard;
            }
        }
    }

    public void Start(byte introducer)
    {
        _payloads ??= _createView(0);
        _osc52 = introducer == (byte)']' ? Osc52State.Number : Osc52State.No;
        _number = 0;
        _groupLength = 0;
        _group = 0;
    }

    public void Bytes(ReadOnlySpan<byte> payload, long rawOffset)
    {
        _payloads?.AppendPayload(payload, rawOffset);
        for (var i = 0; i < payload.Length && _osc52 != Osc52State.No; i++)
        {
            var b = payload[i];
            switch (_osc52)
            {
                case Osc52State.Number when b is >= (byte)'0' and <= (byte)'9':
                    _number = Math.Min((_number * 10) + (b - '0'), 1000);
                    break;
                case Osc52State.Number:
                    _osc52 = b == (byte)';' && _number == 52 ? Osc52State.Selection : Osc52State.No;
                    break;
                case Osc52State.Selection:
                    if (b == (byte)';')
                    {
                        _osc52 = Osc52State.Data;
                        _clipboard ??= _createView(1);
                    }

                    break;
                case Osc52State.Data:
                    Decode(b, rawOffset + i);
                    break;
            }
        }
    }

    public void End(long rawOffset)
    {
        _payloads?.AppendCharacter(Separator, rawOffset);
        if (_osc52 == Osc52State.Data)
        {
            _clipboard!.AppendCharacter(Separator, rawOffset);
        }

        _osc52 = Osc52State.No;
    }

    /// <summary>Base64 in groups of four characters; each decoded byte stands for the character that carries its first bits.</summary>
    private void Decode(byte c, long raw)
    {
        var value = c switch
        {
            >= (byte)'A' and <= (byte)'Z' => c - 'A',
            >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
            >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
            (byte)'+' => 62,
            (byte)'/' => 63,
            _ => -1,
        };
        if (value < 0)
        {
            // Padding ends the data: the bytes of a partial group are whole at 2 or 3 characters.
            if (c == (byte)'=' && _groupLength >= 2)
            {
                for (var k = 0; k < _groupLength - 1; k++)
                {
                    _clipboard!.AppendCharacter((byte)(_group >> ((6 * _groupLength) - (8 * (k + 1)))), _groupStart + k);
                }

                _group = 0;
                _groupLength = 0;
            }

            return;
        }

        if (_groupLength == 0)
        {
            _groupStart = raw;
        }

        _group = (_group << 6) | value;
        _groupLength++;
        if (_groupLength < 4)
        {
            return;
        }

        for (var k = 0; k < 3; k++)
        {
            _clipboard!.AppendCharacter((byte)(_group >> (16 - (8 * k))), _groupStart + k);
        }

        _group = 0;
        _groupLength = 0;
    }

    private enum Osc52State
    {
        No,
        Number,
        Selection,
        Data,
    }
}
