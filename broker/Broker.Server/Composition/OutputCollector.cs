using System.Text;

namespace Broker.Server.Composition;

/// <summary>
/// Keeps the first bytes of an output stream up to a bound and counts the rest: a command that prints without end
/// costs the broker its bound, not its output. The text is cut on a character boundary.
/// </summary>
internal sealed class OutputCollector(int maxBytes)
{
    private readonly byte[] _kept = new byte[maxBytes];
    private int _length;
    private long _total;

    public void Add(ReadOnlySpan<byte> data)
    {
        _total += data.Length;
        var room = Math.Min(data.Length, _kept.Length - _length);
        data[..room].CopyTo(_kept.AsSpan(_length));
        _length += room;
    }

    public void Add(string text) => Add(Encoding.UTF8.GetBytes(text));

    public CollectedOutput Collect()
    {
        var kept = _kept.AsSpan(0, _length);
        if (_total > _length)
        {
            // Drop a character the bound cut in half rather than show a replacement character.
            var end = kept.Length;
            while (end > 0 && end > kept.Length - 4 && (kept[end - 1] & 0xC0) == 0x80)
            {
                end--;
            }

            if (end > 0 && kept[end - 1] >= 0xC0)
            {
                kept = kept[..(end - 1)];
            }
        }

        return new CollectedOutput(Encoding.UTF8.GetString(kept), _total > _length, _total);
    }
}
