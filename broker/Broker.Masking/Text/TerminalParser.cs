using System.Buffers;

namespace Broker.Masking.Text;

/// <summary>
/// ECMA-48 just far enough to know what a terminal prints: a byte state machine carried across chunks, so
/// a sequence split anywhere is handled the same. UTF-8 characters that render with no width (zero-width
/// spaces and joiners, bidi controls, variation selectors, combining marks, tag characters, the soft hyphen)
/// are dropped from the visible text: a token with one inside looks whole on a screen.
/// </summary>
internal struct TerminalParser
{
    private const byte Escape = 0x1B;

    // C0 controls except TAB and LF, ESC, DEL, and the lead bytes of the zero-width characters: the rest is
    // visible text, found by one vectorised search.
    private static readonly SearchValues<byte> s_special = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127,
            0xC2, 0xCC, 0xCD, 0xD8, 0xE1, 0xE2, 0xEF, 0xF3]);

    private static readonly SearchValues<byte> s_stringStops = SearchValues.Create([0x07, 0x18, 0x1A, Escape]);

    private State _state;
    private byte _introducer;
    private byte _escapeIntermediate;
    private CsiSequence _csi;
    private uint _pending;
    private int _pendingLength;
    private int _pendingNeeded;
    private long _pendingRaw;
    private long _sequenceStart;

    /// <summary>
    /// Hands every carriage return, the text after it and an erase to the end of the row as separate events rather than as
    /// one <see cref="ITerminalSink.Redraw"/>: the same masking, slower; for tests that check the two against each other.
    /// </summary>
    public bool SeparateRedraws { get; init; }

    private enum State : byte
    {
        Ground,
        Escape,
        EscapeIntermediate,
        Csi,
        String,
        Utf8,
    }

    public void Feed<TSink>(ReadOnlySpan<byte> chunk, long rawStart, TSink sink)
        where TSink : ITerminalSink
    {
        var i = 0;
        while (i < chunk.Length)
        {
            var b = chunk[i];
            switch (_state)
            {
                case State.Ground:
                    {
                        var run = chunk[i..].IndexOfAny(s_special);
                        if (run < 0)
                        {
                            sink.Visible(chunk[i..], rawStart + i);
                            return;
                        }

                        if (run > 0)
                        {
                            // The byte that ends the run is taken here, not by a second search that would find it at once.
                            sink.Visible(chunk.Slice(i, run), rawStart + i);
                            i += run;
                            b = chunk[i];
                        }

                        if (b == (byte)'\r' && !SeparateRedraws)
                        {
                            i = CarriageReturn(chunk, i, rawStart, sink);
                            continue;
                        }

                        if (b == Escape)
                        {
                            if (WholeCsi(chunk, i, rawStart, sink) is > 0 and var length)
                            {
                                i += length;
                                continue;
                            }

                            _state = State.Escape;
                            _sequenceStart = rawStart + i;
                        }
                        else if (b < 0x20 || b == 0x7F)
                        {
                            sink.Control(b, rawStart + i);
                        }
                        else
                        {
                            _pending = b;
                            _pendingLength = 1;
                            _pendingNeeded = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                            _pendingRaw = rawStart + i;
                            _state = State.Utf8;
                        }

                        i++;
                        break;
                    }

                case State.Utf8:
                    if ((b & 0xC0) != 0x80)
                    {
                        // Not a complete character: what was held is ordinary (if invalid) text.
                        FlushPending(sink);
                        _state = State.Ground;
                        continue;
                    }

                    _pending |= (uint)b << (8 * _pendingLength++);
                    i++;
                    if (_pendingLength == _pendingNeeded)
                    {
                        if (!ZeroWidth.Is(_pending))
                        {
                            FlushPending(sink);
                        }

                        _state = State.Ground;
                    }

                    break;

                case State.String:
                    {
                        var run = chunk[i..].IndexOfAny(s_stringStops);
                        var payload = run < 0 ? chunk.Length - i : run;
                        if (payload > 0)
                        {
                            sink.StringBytes(chunk.Slice(i, payload), rawStart + i);
                            i += payload;
                            continue;
                        }

                        // BEL, CAN and SUB end the string; so does ESC, whatever follows it (an ESC \ is the string
                        // terminator, any other escape sequence starts there), as terminals parse it.
                        sink.StringEnd(rawStart + i);
                        _state = b == Escape ? State.Escape : State.Ground;
                        _sequenceStart = rawStart + i;
                        i++;
                        break;
                    }

                default:
                    Step(b, rawStart + i, sink);
                    i++;
                    break;
            }
        }
    }

    /// <summary>
    /// Raw offset of an escape or control sequence begun but not finished (-1 when none): it is held back until it is
    /// whole, so that what it does can be judged (and masked as a unit) before any of it goes out.
    /// </summary>
    public readonly long PendingSequence => _state is State.Escape or State.EscapeIntermediate or State.Csi ? _sequenceStart : -1;

    /// <summary>What is held at the end of the stream goes out as it is.</summary>
    public void Finish<TSink>(TSink sink)
        where TSink : ITerminalSink
    {
        if (_state == State.Utf8)
        {
            FlushPending(sink);
            _state = State.Ground;
        }
    }

    /// <summary>
    /// The carriage return at <paramref name="at"/>, the visible run after it (found as the ground state finds it) and an
    /// <c>ESC [ K</c> whole in this chunk right after it, as one event; returns where parsing goes on.
    /// </summary>
    private static int CarriageReturn<TSink>(ReadOnlySpan<byte> chunk, int at, long rawStart, TSink sink)
        where TSink : ITerminalSink
    {
        var rest = chunk[(at + 1)..];
        var run = rest.IndexOfAny(s_special);
        var visible = run < 0 ? rest.Length : run;
        var erase = run >= 0 && rest[run..].StartsWith("\e[K"u8);
        sink.Redraw(rawStart + at, rest[..visible], erase);
        return at + 1 + visible + (erase ? 3 : 0);
    }

    private void FlushPending<TSink>(TSink sink)
        where TSink : ITerminalSink
    {
        Span<byte> bytes = stackalloc byte[4];
        for (var k = 0; k < _pendingLength; k++)
        {
            bytes[k] = (byte)(_pending >> (8 * k));
        }

        sink.Visible(bytes[.._pendingLength], _pendingRaw);
    }

    private void Step<TSink>(byte b, long raw, TSink sink)
        where TSink : ITerminalSink
    {
        if (b is 0x18 or 0x1A)
        {
            // CAN and SUB abort any sequence.
            _state = State.Ground;
            return;
        }

        if (b < 0x20 && b != Escape)
        {
            // C0 controls act at once inside an escape or control sequence, which then goes on.
            Execute(b, raw, sink);
            return;
        }

        switch (_state)
        {
            case State.Escape:
                switch (b)
                {
                    case (byte)'[':
                        _csi = default;
                        _csi.Start = _sequenceStart;
                        _state = State.Csi;
                        break;
                    case (byte)']' or (byte)'P' or (byte)'X' or (byte)'^' or (byte)'_':
                        _introducer = b;
                        _state = State.String;
                        sink.StringStart(b, raw);
                        break;
                    case >= 0x20 and <= 0x2F:
                        _escapeIntermediate = b;
                        _state = State.EscapeIntermediate;
                        break;
                    case Escape:
                        _sequenceStart = raw;
                        break;
                    default:
                        _state = State.Ground;
                        sink.Escape(0, b, _sequenceStart);
                        break;
                }

                break;
            case State.EscapeIntermediate:
                if (b is < 0x20 or > 0x2F)
                {
                    _state = State.Ground;
                    sink.Escape(_escapeIntermediate, b, _sequenceStart);
                }

                break;
            case State.Csi:
                StepCsi(b, raw, sink);
                break;
        }
    }

    private static void Execute<TSink>(byte control, long raw, TSink sink)
        where TSink : ITerminalSink
    {
        if (control is (byte)'\t' or (byte)'\n')
        {
            sink.Visible(control == (byte)'\t' ? "\t"u8 : "\n"u8, raw);
        }
        else
        {
            sink.Control(control, raw);
        }
    }

    /// <summary>
    /// A CSI sequence whose bytes are all in <paramref name="chunk"/> from the ESC at <paramref name="at"/> on, and none of them
    /// a control, DEL or a byte past ASCII (nearly every colour change), is handed on in one go: the same sequence, state and
    /// event as the steps byte by byte (<see cref="AddCsiByte"/> is theirs), without a state switch per byte. Returns its
    /// length, or 0 when it is not such a sequence and is left to the steps.
    /// </summary>
    private int WholeCsi<TSink>(ReadOnlySpan<byte> chunk, int at, long rawStart, TSink sink)
        where TSink : ITerminalSink
    {
        if (at + 2 >= chunk.Length || chunk[at + 1] != (byte)'[')
        {
            return 0;
        }

        var csi = new CsiSequence { Start = rawStart + at };
        for (var k = at + 2; k < chunk.Length; k++)
        {
            var b = chunk[k];
            if (AddCsiByte(ref csi, b))
            {
                continue;
            }

            if (b is < 0x40 or > 0x7E)
            {
                return 0;
            }

            csi.Final = b;
            csi.Count = Math.Min(csi.Count, CsiSequence.MaxParameters);
            _csi = csi;
            _sequenceStart = rawStart + at;
            sink.Csi(_csi, rawStart + k);
            return k + 1 - at;
        }

        return 0;
    }

    /// <summary>A parameter digit, separator, private marker or intermediate byte of a CSI sequence, added to it; false for any other byte.</summary>
    private static bool AddCsiByte(ref CsiSequence csi, byte b)
    {
        switch (b)
        {
            case >= (byte)'0' and <= (byte)'9':
                if (csi.Count == 0)
                {
                    csi.Count = 1;
                }

                AddDigit(ref csi, b - '0');
                return true;
            case (byte)';' or (byte)':':
                csi.Count = Math.Min(csi.Count == 0 ? 2 : csi.Count + 1, CsiSequence.MaxParameters + 1);
                return true;
            case >= 0x3C and <= 0x3F:
                csi.Private = b;
                return true;
            case >= 0x20 and <= 0x2F:
                csi.Intermediate = b;
                return true;
            default:
                return false;
        }
    }

    private void StepCsi<TSink>(byte b, long raw, TSink sink)
        where TSink : ITerminalSink
    {
        if (AddCsiByte(ref _csi, b))
        {
            return;
        }

        switch (b)
        {
            case Escape:
                _state = State.Escape;
                _sequenceStart = raw;
                break;
            case >= 0x40 and <= 0x7E:
                _csi.Final = b;
                _csi.Count = Math.Min(_csi.Count, CsiSequence.MaxParameters);
                _state = State.Ground;
                sink.Csi(_csi, raw);
                break;
            case >= 0x80:
                // Not part of any sequence: the sequence is dropped.
                _state = State.Ground;
                break;
        }
    }

    private static void AddDigit(ref CsiSequence csi, int digit)
    {
        switch (csi.Count - 1)
        {
            case 0: csi.P0 = Grow(csi.P0, digit); break;
            case 1: csi.P1 = Grow(csi.P1, digit); break;
            case 2: csi.P2 = Grow(csi.P2, digit); break;
            case 3: csi.P3 = Grow(csi.P3, digit); break;
        }

        static int Grow(int value, int digit) => Math.Min((value * 10) + digit, 99_999);
    }
}
