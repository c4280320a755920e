using System.Buffers.Binary;
using System.Text;

namespace Broker.Harness.Floor;

/// <summary>
/// The lean-pty floor server's framing over TCP: a kind byte, a 32-bit little-endian payload length, the payload. The
/// client opens with <see cref="Open"/> (columns and rows as 16-bit little-endian numbers, then TERM in UTF-8), the
/// server answers <see cref="Opened"/> once the shell runs, then keys go as <see cref="Input"/> frames and the terminal's
/// output comes back as <see cref="Output"/> frames, a read of the PTY each. Either side ends the session by closing.
/// </summary>
internal static class LeanFrames
{
    public const int HeaderLength = 5;

    /// <summary>The largest payload either side accepts (the server's output frames carry at most a 32 KiB PTY read).</summary>
    public const int MaxPayload = 64 * 1024;

    public const byte Open = 1;
    public const byte Input = 2;
    public const byte Opened = 3;
    public const byte Output = 4;

    public static void WriteHeader(Span<byte> destination, byte kind, int length)
    {
        destination[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], length);
    }

    /// <summary>Reads a frame's header; false when the length is out of range (the peer is not speaking this protocol).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> source, out byte kind, out int length)
    {
        kind = source[0];
        length = BinaryPrimitives.ReadInt32LittleEndian(source[1..]);
        return length is >= 0 and <= MaxPayload;
    }

    /// <summary>A whole open frame for a terminal of <paramref name="columns"/> by <paramref name="rows"/>.</summary>
    public static byte[] OpenFrame(int columns, int rows, string term)
    {
        var termBytes = Encoding.UTF8.GetBytes(term);
        var frame = new byte[HeaderLength + 4 + termBytes.Length];
        WriteHeader(frame, Open, 4 + termBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(HeaderLength), checked((ushort)columns));
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(HeaderLength + 2), checked((ushort)rows));
        termBytes.CopyTo(frame, HeaderLength + 4);
        return frame;
    }

    /// <summary>An open frame's payload as the terminal it asks for, or null when it is too short to be one.</summary>
    public static (int Columns, int Rows, string Term)? ReadOpen(ReadOnlySpan<byte> payload) =>
        payload.Length < 4
            ? null
            : (BinaryPrimitives.ReadUInt16LittleEndian(payload), BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]), Encoding.UTF8.GetString(payload[4..]));
}
