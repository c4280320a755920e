using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Broker.Masking.Text;
using Broker.Masking.Views;

namespace Broker.Masking.Emission;

/// <summary>
/// Writes the raw bytes out up to a release point: plain bytes on the channel they came from, a masked range
/// as one marker (or one <c>*</c> per character) on the channel of its first byte. Counts the masked regions.
/// </summary>
internal sealed class MaskEmitter(RawLog raw, MaskPlan plan, LinearView combined, ReplacementStyle replacement)
{
    // One lookup per masked region: its count and its marker under the same key.
    private readonly Dictionary<string, Tally> _tallies = new(StringComparer.Ordinal);
    private bool _maskOpen;

    /// <summary>Raw offset up to which everything has been written out.</summary>
    public long Released { get; private set; }

    public IReadOnlyDictionary<string, long> Counts => _tallies.ToDictionary(p => p.Key, p => p.Value.Count, StringComparer.Ordinal);

    /// <summary>Writes out everything before <paramref name="frontier"/>.</summary>
    public void Emit(long frontier, IMaskedOutput output) => Emit(frontier, output, default);

    /// <summary>Writes out everything before <paramref name="frontier"/>; the raw log's <paramref name="staged"/> chunk is read from the caller's span.</summary>
    public void Emit(long frontier, IMaskedOutput output, ReadOnlySpan<byte> staged)
    {
        frontier = Math.Min(frontier, raw.End);
        // The plan does not change while it is written out: one pass over its ranges, in order.
        var i = plan.FirstEndingAfter(Released);
        while (Released < frontier)
        {
            while (i < plan.Count && plan[i].End <= Released)
            {
                i++;
            }

            if (i == plan.Count || plan[i].Start >= frontier)
            {
                WritePlain(frontier, output, staged);
                return;
            }

            var next = plan[i];
            if (next.Start > Released)
            {
                WritePlain(next.Start, output, staged);
            }

            WriteMask(next, Math.Min(next.End, frontier), output);
        }
    }

    private void WritePlain(long to, IMaskedOutput output, ReadOnlySpan<byte> staged)
    {
        if (to <= Released)
        {
            return;
        }

        // Plain text between two masked ranges ends the first; where none is open there is nothing to end (and no lookup).
        if (_maskOpen && combined.HasText(Released, to))
        {
            _maskOpen = false;
        }

        var from = Released;
        var stored = raw.StoredEnd;
        while (from < to)
        {
            var (channel, runEnd) = raw.ChannelAt(from);
            // A write does not cross from the stored bytes to the staged chunk's.
            var end = Math.Min(Math.Min(to, runEnd), from < stored ? stored : long.MaxValue);
            Write(output.Channel(channel), raw.Slice(from, end, staged));
            from = end;
        }

        Released = to;
    }

    /// <summary>Masks the part of <paramref name="interval"/> from the release point to <paramref name="to"/>.</summary>
    private void WriteMask(MaskInterval interval, long to, IMaskedOutput output)
    {
        // A region already partly written out goes on without a second marker; so does a latched block.
        var continuing = interval.Start < Released && _maskOpen;
        var (channel, _) = raw.ChannelAt(Released);
        if (!continuing && !interval.Silent)
        {
            ref var tally = ref CollectionsMarshal.GetValueRefOrAddDefault(_tallies, interval.Name, out var exists);
            if (!exists)
            {
                tally = new Tally(0, Encoding.ASCII.GetBytes($"[MASKED:{interval.Name}]"));
            }

            tally = tally with { Count = tally.Count + 1 };
            if (replacement == ReplacementStyle.Named)
            {
                Write(output.Channel(channel), tally.Marker);
            }
        }

        if (replacement == ReplacementStyle.SameLength)
        {
            foreach (var (character, rawOffset) in combined.TextIn(Released, to))
            {
                // One star per character: UTF-8 continuation bytes add none; line feeds and tabs keep the layout.
                if ((character & 0xC0) != 0x80)
                {
                    Write(output.Channel(raw.ChannelAt(rawOffset).Channel), character is (byte)'\n' or (byte)'\t' ? [character] : "*"u8);
                }
            }
        }

        Released = to;
        _maskOpen = true;
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
}
