using System.Runtime.InteropServices;
using Broker.Masking.Detection;
using Broker.Masking.Emission;
using Broker.Masking.Text;

namespace Broker.Masking.Views;

/// <summary>
/// Output read as one line of text, in the order it was written: the whole session output, one channel of
/// it, or the payloads of its OSC/DCS strings. Detectors run over the shadow text; what they decide becomes
/// masked raw ranges in the plan, what they cannot decide yet holds the release point back.
/// </summary>
internal sealed class LinearView : IMaskView, ITerminalSink
{
    // Released text kept for look-behind: keys before values, access key ids before their secret.
    private const int Context = 256;
    // Compaction copies what is kept to the front; doing it only past this much dead text keeps the copy amortised.
    private const int CompactThreshold = 32 * 1024;
    // Fewer bytes than this of a secret may be released on delay: the guarantee is about runs of four or more.
    private const int ShortestLeak = 4;

    private readonly MaskingProfile _profile;
    private readonly SecretRegistry _secrets;
    private readonly Findings _findings = new();
    private readonly List<Held> _held = [];
    private ShadowText _text = new();
    private TerminalParser _parser;
    private long[] _sortKeys = new long[64];
    private long _scanFrom;
    private long _released;
    private Continuation? _latch;
    private long _latchFrom;
    private long _latchRawStart;
    private string _latchName = string.Empty;
    private readonly int _channel = -1;
    private readonly RawLog? _raw;

    public LinearView(MaskingProfile profile, SecretRegistry secrets, int maskEndExtra = 0)
    {
        _profile = profile;
        _secrets = secrets;
        MaskEndExtra = maskEndExtra;
    }

    /// <summary>A view of one channel's own text: what it masks is that channel's bytes (see <see cref="MaskPlan.Add(long, long, string, bool, int, RawLog)"/>).</summary>
    public LinearView(MaskingProfile profile, SecretRegistry secrets, int channel, RawLog raw)
        : this(profile, secrets)
    {
        _channel = channel;
        _raw = raw;
    }

    /// <summary>The shadow text (the screen view reads the combined view's).</summary>
    public ShadowText Text => _text;

    /// <summary>Raw bytes after a masked range's last character that still carry bits of it (base64: one).</summary>
    public int MaskEndExtra { get; }

    /// <summary>Whether a carriage return ends a line of the text (typed input), rather than being left out (terminal output).</summary>
    public bool CarriageReturnEndsLine { get; init; }

    /// <summary>No more text will come to this view (its channel ended): what it holds is decided as end of stream.</summary>
    public bool Ended { get; private set; }

    public void End() => Ended = true;

    /// <summary>Parses terminal output of this view's own stream.</summary>
    public void Feed(ReadOnlySpan<byte> chunk, long rawStart) => _parser.Feed(chunk, rawStart, this);

    /// <summary>Adds text that is not terminal output (a string payload): control characters are left out.</summary>
    public void AppendPayload(ReadOnlySpan<byte> payload, long rawStart)
    {
        var i = 0;
        while (i < payload.Length)
        {
            var stop = payload[i..].IndexOfAnyInRange((byte)0, (byte)0x1F);
            var run = stop < 0 ? payload.Length - i : stop;
            _text.Append(payload.Slice(i, run), rawStart + i);
            i += run + 1;
        }
    }

    /// <summary>Adds one character of derived text (a separator, a decoded byte) standing for the raw byte at <paramref name="rawOffset"/>.</summary>
    public void AppendCharacter(byte character, long rawOffset) => _text.Append(character, rawOffset);

    public void Visible(ReadOnlySpan<byte> text, long rawOffset) => _text.Append(text, rawOffset);

    public void Control(byte control, long rawOffset)
    {
        if (control == (byte)'\r' && CarriageReturnEndsLine)
        {
            _text.Append((byte)'\n', rawOffset);
        }
    }

    public void Csi(in CsiSequence sequence, long rawOffset)
    {
    }

    public void Escape(byte intermediate, byte final, long rawOffset)
    {
    }

    public void StringStart(byte introducer, long rawOffset)
    {
    }

    public void StringBytes(ReadOnlySpan<byte> payload, long rawOffset)
    {
    }

    public void StringEnd(long rawOffset)
    {
    }

    /// <summary>At the end of the stream, a character the parser still held goes out as it is.</summary>
    public void FinishParsing() => _parser.Finish(this);

    /// <summary>A copy with the same text and state, for <paramref name="channel"/>, which had the output to itself until now; <paramref name="parser"/> is where its parsing stands.</summary>
    public LinearView Fork(TerminalParser parser, int channel, RawLog raw)
    {
        var fork = new LinearView(_profile, _secrets, channel, raw)
        {
            CarriageReturnEndsLine = CarriageReturnEndsLine,
            _text = _text.Clone(),
            _parser = parser,
            _scanFrom = _scanFrom,
            _released = _released,
            _latch = _latch,
            _latchFrom = _latchFrom,
            _latchRawStart = _latchRawStart,
            _latchName = _latchName,
        };
        fork._held.AddRange(_held);
        return fork;
    }

    public long Decide(MaskPlan plan, long rawEnd, bool final)
    {
        final |= Ended;
        while (true)
        {
            if (_latch is { } latch && AdvanceLatch(latch, plan, rawEnd, final) is { } held)
            {
                return held;
            }

            var origin = _text.Base;
            var text = new ScanText(_text.Bytes, (int)(_scanFrom - origin), final) { Classes = _text.Classes };
            _findings.Reset(text.From, origin);
            _profile.Scan(text, _secrets.Snapshot, _findings);

            var hold = _text.End;
            _held.Clear();
            foreach (var candidate in _findings.Candidates)
            {
                hold = Math.Min(hold, origin + candidate.Start);
                _held.Add(new Held(origin + candidate.Start, candidate.Name, candidate.Distinctive, Decided: false, candidate.Continuation));
            }

            var matches = _findings.Matches;
            SortMatches(matches);
            var latched = false;
            var k = 0;
            while (k < matches.Count)
            {
                var region = Merge(matches, ref k, origin);
                if (region.Start >= hold || region.End > hold)
                {
                    hold = Math.Min(hold, region.Start);
                    _held.Add(new Held(region.Start, region.Name, Distinctive: true, Decided: true, Continuation.UntilWhitespace));
                    continue;
                }

                Mask(plan, _text.RawOf(region.Start), RawEnd(region.End), region.Name, silent: false);
                if (region.Latch is { } kind)
                {
                    StartLatch(kind, region.LatchFrom, _text.RawOf(region.Start), region.Name);
                    _scanFrom = region.End;
                    latched = true;
                    break;
                }
            }

            if (latched)
            {
                continue;
            }

            _scanFrom = hold;
            return hold >= _text.End ? rawEnd : _text.RawOf(hold);
        }
    }

    public void Flush(MaskPlan plan, long rawEnd)
    {
        if (_latch is not null)
        {
            Mask(plan, _latchRawStart, rawEnd, _latchName, silent: true);
            return;
        }

        var end = _text.End;
        Held? chosen = null;
        foreach (var held in _held)
        {
            var qualifies = held.Decided || (held.Distinctive && end - held.Start >= ShortestLeak);
            if (qualifies && held.Start < end && (chosen is null || held.Start < chosen.Value.Start))
            {
                chosen = held;
            }
        }

        if (chosen is { } mask)
        {
            Mask(plan, _text.RawOf(mask.Start), RawEnd(end), mask.Name, silent: false);
        }
    }

    public bool Commit(MaskPlan plan, long rawEnd)
    {
        if (_held.Count == 0)
        {
            return false;
        }

        var first = _held[0];
        foreach (var held in _held)
        {
            if (held.Start < first.Start)
            {
                first = held;
            }
        }

        var rawStart = _text.RawOf(first.Start);
        Mask(plan, rawStart, rawEnd, first.Name, silent: false);
        StartLatch(first.Continuation, _text.End, rawStart, first.Name);
        _scanFrom = _text.End;
        _held.Clear();
        return true;
    }

    public void Released(long rawReleased) => _released = _text.PositionOf(rawReleased);

    /// <summary>Whether <see cref="Compact"/> may drop text now: a bound it is given can only keep more.</summary>
    public bool CanCompact => KeepFrom(long.MaxValue) - _text.Base >= CompactThreshold;

    /// <summary>Drops the text not needed for look-behind and a latch still open, when there is enough of it.</summary>
    public void Compact(long keepAtLeast)
    {
        var keep = KeepFrom(keepAtLeast);
        if (keep - _text.Base >= CompactThreshold)
        {
            _text.Compact(keep);
        }
    }

    public void Release() => _text.Release();

    /// <summary>Whether any shadow character of this view comes from raw [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public bool HasText(long from, long to) => _text.PositionOf(from) < _text.PositionOf(to);

    /// <summary>The characters whose raw bytes lie in [<paramref name="from"/>, <paramref name="to"/>), with their raw offsets.</summary>
    public IEnumerable<(byte Character, long Raw)> TextIn(long from, long to)
    {
        for (var p = _text.PositionOf(from); p < _text.PositionOf(to); p++)
        {
            yield return (_text.Bytes[(int)(p - _text.Base)], _text.RawOf(p));
        }
    }

    /// <summary>Where the text must be kept from, for look-behind and a latch still open, and at least from <paramref name="keepAtLeast"/>.</summary>
    private long KeepFrom(long keepAtLeast)
    {
        var keep = Math.Max(_text.Base, Math.Min(_scanFrom, _released) - Context);
        if (_latch is not null)
        {
            keep = Math.Max(_text.Base, Math.Min(keep, _latchFrom - Context));
        }

        return Math.Max(_text.Base, Math.Min(keep, keepAtLeast));
    }

    private long RawEnd(long shadowEnd) => _text.RawOf(shadowEnd - 1) + 1 + MaskEndExtra;

    private void Mask(MaskPlan plan, long start, long end, string name, bool silent)
    {
        if (_raw is null)
        {
            plan.Add(start, end, name, silent);
        }
        else
        {
            plan.Add(start, end, name, silent, _channel, _raw);
        }
    }

    private void StartLatch(Continuation kind, long from, long rawStart, string name)
    {
        _latch = kind;
        _latchFrom = from;
        _latchRawStart = rawStart;
        _latchName = name;
    }

    /// <summary>Masks inside a latched region: null when the region ended and normal scanning resumes, else the release point.</summary>
    private long? AdvanceLatch(Continuation latch, MaskPlan plan, long rawEnd, bool final)
    {
        var origin = _text.Base;
        var bytes = _text.Bytes;
        var from = (int)(_latchFrom - origin);
        var end = Continuations.FindEnd(latch, bytes, from, final, out var resume, out var undecided);
        if (end < 0)
        {
            // Everything before the undecided tail is inside the region; the tail (a line that may or may not
            // continue a key's body) waits.
            var swallowTo = undecided >= bytes.Length ? rawEnd : _text.RawOf(origin + undecided);
            Mask(plan, _latchRawStart, swallowTo, _latchName, silent: true);
            _latchFrom = origin + resume;
            _scanFrom = _latchFrom;
            if (final)
            {
                _latch = null;
                _scanFrom = _text.End;
            }

            return swallowTo;
        }

        if (origin + end > _released && end > 0)
        {
            Mask(plan, _latchRawStart, RawEnd(origin + end), _latchName, silent: true);
        }

        _latch = null;
        _scanFrom = Math.Max(origin + end, _released);
        return null;
    }

    /// <summary>
    /// Left to right; at the same start the longest first; equal ones by detector rank. Sorted on one
    /// packed integer key per match, which is several times cheaper than a comparison delegate.
    /// </summary>
    private void SortMatches(List<Match> matches)
    {
        if (matches.Count < 2)
        {
            return;
        }

        if (_sortKeys.Length < matches.Count)
        {
            _sortKeys = new long[Math.Max(matches.Count, _sortKeys.Length * 2)];
        }

        var keys = _sortKeys.AsSpan(0, matches.Count);
        var items = CollectionsMarshal.AsSpan(matches);
        for (var i = 0; i < items.Length; i++)
        {
            var m = items[i];
            var shorter = (1L << 24) - 1 - Math.Min(m.End - m.Start, (1 << 24) - 1);
            keys[i] = ((long)m.Start << 30) | (shorter << 6) | (long)Math.Min(DetectorNames.Rank(m.Name), 63);
        }

        keys.Sort(items);
    }

    private static Region Merge(List<Match> matches, ref int k, long origin)
    {
        var first = matches[k++];
        var end = first.End;
        var name = first.Name;
        var longest = first.End - first.Start;
        var latch = first.Latch;
        var latchFrom = latch is null ? -1 : origin + first.End;
        while (k < matches.Count && matches[k].Start < end)
        {
            var next = matches[k++];
            end = Math.Max(end, next.End);
            if (next.End - next.Start > longest)
            {
                longest = next.End - next.Start;
                name = next.Name;
            }

            if (next.Latch is not null && latch is null)
            {
                latch = next.Latch;
                latchFrom = origin + next.End;
            }
        }

        return new Region(origin + first.Start, origin + end, name, latch, latchFrom);
    }

    private readonly record struct Region(long Start, long End, string Name, Continuation? Latch, long LatchFrom);

    private readonly record struct Held(long Start, string Name, bool Distinctive, bool Decided, Continuation Continuation);
}
