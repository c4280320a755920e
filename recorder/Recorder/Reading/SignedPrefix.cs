using System.Buffers.Binary;
using Recorder.Format;

namespace Recorder;

/// <summary>
/// Where the signed part of a recording ends: the end of its last checkpoint or seal frame. A copy cut there
/// verifies exactly as the whole file would up to that point (intact, or truncated at that checkpoint).
/// </summary>
public static class SignedPrefix
{
    /// <summary>
    /// Walks the frame headers of a seekable recording (bodies are skipped, not read) and returns the byte
    /// length up to the end of the last checkpoint or seal; 0 when there is none or the magic is wrong.
    /// Stops at the first frame that cannot be one (unknown length) or does not fit in the stream.
    /// </summary>
    /// <param name="stream">A seekable stream positioned anywhere; it is read from its start.</param>
    /// <returns>The signed length in bytes.</returns>
    public static long LengthOf(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var length = stream.Length;
        stream.Position = 0;
        if (!RecordingFiles.HasMagic(stream))
        {
            return 0;
        }

        Span<byte> header = stackalloc byte[FileLayout.FrameHeaderLength];
        long position = RecordingFiles.MagicLength;
        long signed = 0;
        while (position + FileLayout.FrameHeaderLength <= length)
        {
            stream.Position = position;
            stream.ReadExactly(header);
            var body = BinaryPrimitives.ReadUInt32LittleEndian(header[1..]);
            var end = position + FileLayout.FrameHeaderLength + body;
            if (body > FileLayout.MaxFrameBodyLength || end > length)
            {
                break;
            }

            if (header[0] is (byte)FrameKind.Checkpoint or (byte)FrameKind.Seal)
            {
                signed = end;
            }

            position = end;
        }

        return signed;
    }
}
