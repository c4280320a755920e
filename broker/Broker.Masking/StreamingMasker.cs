using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Broker.Masking.Detection;
using Broker.Masking.Detectors;
using Broker.Masking.Text;

namespace Broker.Masking;

/// <summary>
/// Masks one output stream. Bytes go in as they come, in chunks of any size; everything that can no
/// longer become part of a secret comes out at once, the rest is held back (bounded) until it is
/// decided, <see cref="FlushHeld"/> is called, or the stream completes. Not thread-safe: one per stream.
/// </summary>
public sealed class StreamingMasker
{
    // Released text kept for look-behind: keys before values, access key ids before their secret.
    private const int Context = 256;
    // Compaction copies what is kept to the front; doing it only past this much dead text keeps the copy amortised.
    private const int CompactThreshold = 32 * 1024;

    // Fewer bytes than this of a secret may be released on delay: the guarantee is about runs of four or more.
    private const int ShortestLeak = 4;

    private readonly MaskingProfile _profile;
    private readonly SecretRegistry _secrets;
    private readonly TextWindow _window = new();
    private readonly Findings _findings = new();
    private readonly List<Held> _held = [];
    // One lookup per masked region: its count and its marker under the same key.
    private readonly Dictionary<string, Tally> _tallies = new(StringComparer.Ordinal);
    private long[] _sortKeys = new long[64];
    private long _scanFrom;
    private long _released;
    private long _rawReleased;
    private bool _maskOpen;
    private Continuation? _latch;
    private long _latchFrom;
    private bool _completed;

    internal StreamingMasker(MaskingProfile profile, SecretRegistry secrets)
    {
        _profile = profile;
        _secrets = secrets;
    }

    /// <summary>Whether bytes are held back waiting for more output; if so, call <see cref="FlushHeld"/> after <see cref="MaskingProfile.HoldDelay"/> without output.</summary>
    public bool HasHeldBytes => _rawReleased < _window.RawEnd;

    /// <summary>A snapshot of how many regions each detector masked so far.</summary>
    public IReadOnlyDictionary<string, long> Counts => _tallies.ToDictionary(p => p.Key, p => p.Value.Count, StringComparer.Ordinal);

    /// <summary>Takes the next chunk and writes to <paramref name="output"/> everything that can be released.</summary>
    public void Push(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ObjectDisposedException.ThrowIf(_completed, this);
        if (chunk.IsEmpty)
        {
            return;
        }

        _window.Append(chunk);
        Process(output, final: false);
        Compact();
    }

    /// <summary>
    /// No output came within the hold delay: a held candidate that already shows four or more bytes of
    /// something that looks like its secret is masked; shorter or not yet distinctive ones are released.
    /// </summary>
    public void FlushHeld(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ObjectDisposedException.ThrowIf(_completed, this);
        MaskOrReleaseHeld(output);
        Compact();
    }

    /// <summary>End of stream, error or cancellation: a held candidate goes out masked by the same rule, and everything decided goes out.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_completed)
        {
            return;
        }

        MaskOrReleaseHeld(output);
        Process(output, final: true);
        if (_latch is null)
        {
            ReleasePlain(_window.ShadowEnd, output);
        }

        _completed = true;
        _window.Release();
    }

    private void Process(IBufferWriter<byte> output, bool final)
    {
        while (true)
        {
            if (_latch is { } latch && !AdvanceLatch(latch, output, final))
            {
                return;
            }

            var origin = _window.ShadowBase;
            var text = new ScanText(_window.Shadow, _window.Chars, (int)(_scanFrom - origin), final);
            _findings.Reset(text.From, origin);
            _profile.Scan(text, _secrets.Snapshot, _findings);

            var hold = _window.ShadowEnd;
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

                Mask(region.Start, region.End, region.Name, output);
                if (region.LatchFrom >= 0)
                {
                    _latch = Continuation.UntilPemEnd;
                    _latchFrom = region.LatchFrom;
                    _scanFrom = region.End;
                    latched = true;
                    break;
                }
            }

            if (latched)
            {
                continue;
            }

            ReleasePlain(hold, output);
            _scanFrom = hold;
            if (_held.Count > 0 && _window.RawEnd - _rawReleased > _profile.MaxHoldBytes)
            {
                CommitHeld(output);
                continue;
            }

            return;
        }
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
        var latchFrom = first.Latch ? origin + first.End : -1;
        while (k < matches.Count && matches[k].Start < end)
        {
            var next = matches[k++];
            end = Math.Max(end, next.End);
            if (next.End - next.Start > longest)
            {
                longest = next.End - next.Start;
                name = next.Name;
            }

            if (next.Latch && latchFrom < 0)
            {
                latchFrom = origin + next.End;
            }
        }

        return new Region(origin + first.Start, origin + end, name, latchFrom);
    }

    /// <summary>The hold bound was reached: mask the leftmost held candidate from its start and keep masking until its secret ends.</summary>
    private void CommitHeld(IBufferWriter<byte> output)
    {
        var first = _held[0];
        foreach (var held in _held)
        {
            if (held.Start < first.Start)
            {
                first = held;
            }
        }

        Mask(first.Start, _window.ShadowEnd, first.Name, output);
        _latch = first.Continuation;
        _latchFrom = _window.ShadowEnd;
        _scanFrom = _window.ShadowEnd;
        _held.Clear();
    }

    /// <summary>Masks inside a latched region; true when the region ended and normal scanning resumes.</summary>
    private bool AdvanceLatch(Continuation latch, IBufferWriter<byte> output, bool final)
    {
        var origin = _window.ShadowBase;
        var bytes = _window.Shadow;
        var from = (int)(_latchFrom - origin);
        int end, resume;
        switch (latch)
        {
            case Continuation.UntilPemEnd:
                end = PemDetector.FindEnd(bytes, from, final, out resume);
                break;
            case Continuation.UntilQuote:
                end = bytes[from..].IndexOf((byte)'"');
                end = end < 0 ? -1 : from + end;
                resume = bytes.Length;
                break;
            default:
                end = bytes[from..].IndexOfAny(" \t\n"u8);
                end = end < 0 ? -1 : from + end;
                resume = bytes.Length;
                break;
        }

        if (end < 0)
        {
            Swallow(_window.ShadowEnd, output);
            _latchFrom = origin + resume;
            _scanFrom = _latchFrom;
            if (final)
            {
                _latch = null;
                _scanFrom = _window.ShadowEnd;
            }

            return false;
        }

        if (origin + end > _released)
        {
            Swallow(origin + end, output);
        }

        _latch = null;
        _scanFrom = Math.Max(origin + end, _released);
        return true;
    }

    private void MaskOrReleaseHeld(IBufferWriter<byte> output)
    {
        if (_latch is not null)
        {
            Swallow(_window.ShadowEnd, output);
            return;
        }

        var end = _window.ShadowEnd;
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
            Mask(mask.Start, end, mask.Name, output);
        }

        ReleasePlain(end, output);
    }

    private void ReleasePlain(long to, IBufferWriter<byte> output)
    {
        if (to < _released)
        {
            return;
        }

        var rawTarget = to >= _window.ShadowEnd ? _window.RawEnd : _window.RawOf(to);
        if (rawTarget > _rawReleased)
        {
            Write(output, _window.Raw(_rawReleased, rawTarget));
            _rawReleased = rawTarget;
        }

        if (to > _released)
        {
            _maskOpen = false;
            _released = to;
        }
    }

    /// <summary>Masks shadow [<paramref name="start"/>, <paramref name="end"/>) and the raw bytes behind it, escape sequences inside included.</summary>
    private void Mask(long start, long end, string name, IBufferWriter<byte> output)
    {
        if (end <= _released)
        {
            return;
        }

        var continuing = start < _released && _maskOpen;
        ReleasePlain(start, output);
        var from = Math.Max(start, _released);
        if (!continuing)
        {
            ref var tally = ref CollectionsMarshal.GetValueRefOrAddDefault(_tallies, name, out var exists);
            if (!exists)
            {
                tally = new Tally(0, Encoding.ASCII.GetBytes($"[MASKED:{name}]"));
            }

            tally = tally with { Count = tally.Count + 1 };
            if (_profile.Replacement == ReplacementStyle.Named)
            {
                Write(output, tally.Marker);
            }
        }

        Replace(from, end, output);
        _rawReleased = Math.Max(_rawReleased, _window.RawOf(end - 1) + 1);
        _released = end;
        _maskOpen = true;
    }

    /// <summary>Masks on, without a new marker, inside a region that is already masked.</summary>
    private void Swallow(long end, IBufferWriter<byte> output)
    {
        if (end > _released)
        {
            Replace(_released, end, output);
            _released = end;
        }

        if (end >= _window.ShadowEnd)
        {
            _rawReleased = _window.RawEnd;
        }
        else if (end > 0)
        {
            _rawReleased = Math.Max(_rawReleased, _window.RawOf(end - 1) + 1);
        }
    }

    private void Replace(long from, long end, IBufferWriter<byte> output)
    {
        if (_profile.Replacement != ReplacementStyle.SameLength || end <= from)
        {
            return;
        }

        var shadow = _window.Shadow.Slice((int)(from - _window.ShadowBase), (int)(end - from));
        var span = output.GetSpan(shadow.Length);
        var n = 0;
        foreach (var b in shadow)
        {
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            span[n++] = b is (byte)'\n' or (byte)'\t' ? b : (byte)'*';
        }

        output.Advance(n);
    }

    private void Compact()
    {
        var keepShadow = Math.Max(_window.ShadowBase, Math.Min(_scanFrom, _released) - Context);
        if (_latch is not null)
        {
            keepShadow = Math.Max(_window.ShadowBase, Math.Min(keepShadow, _latchFrom - Context));
        }

        var drop = keepShadow - _window.ShadowBase;
        var rawDrop = _rawReleased - _window.RawBase;
        if (drop >= CompactThreshold || rawDrop >= CompactThreshold)
        {
            _window.Compact(_rawReleased, keepShadow);
        }
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    private readonly record struct Tally(long Count, byte[] Marker);

    private readonly record struct Region(long Start, long End, string Name, long LatchFrom);

    private readonly record struct Held(long Start, string Name, bool Distinctive, bool Decided, Continuation Continuation);
}
