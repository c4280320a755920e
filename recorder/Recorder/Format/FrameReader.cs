using System.Buffers.Binary;

namespace Recorder.Format;

/// <summary>Reads the magic and then frame after frame, stopping cleanly at the last complete frame.</summary>
internal sealed class FrameReader(Stream stream)
{
    private readonly byte[] _head = new byte[FileLayout.FrameHeaderLength];
    private byte[] _body = new byte[64 * 1024];

    /// <summary>Byte position of the next frame in the file.</summary>
    public long Position { get; private set; }

    public string? Error { get; private set; }

    /// <summary>Reads the file magic: Frame when it matches, Incomplete when the file is shorter, Corrupt otherwise.</summary>
    public FrameReadStatus ReadMagic()
    {
        Span<byte> magic = stackalloc byte[8];
        var read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (read < magic.Length)
        {
            Error = "the file is shorter than the recording magic";
            return magic[..read].SequenceEqual(FileLayout.Magic[..read]) ? FrameReadStatus.Incomplete : FrameReadStatus.Corrupt;
        }

        Position = magic.Length;
        if (!magic.SequenceEqual(FileLayout.Magic))
        {
            Error = magic[..7].SequenceEqual(FileLayout.Magic[..7])
                ? $"recording format version {magic[7]} is not supported"
                : "not a broker recording (bad magic)";
            return FrameReadStatus.Corrupt;
        }

        return FrameReadStatus.Frame;
    }

    public FrameReadStatus Read(out Frame frame)
    {
        frame = default;
        var read = stream.ReadAtLeast(_head, _head.Length, throwOnEndOfStream: false);
        if (read == 0)
        {
            return FrameReadStatus.End;
        }

        if (read < _head.Length)
        {
            return Incomplete();
        }

        if (!TryParseHead(out var kind, out var length))
        {
            return FrameReadStatus.Corrupt;
        }

        EnsureBody(length);
        read = stream.ReadAtLeast(_body.AsSpan(0, length), length, throwOnEndOfStream: false);
        if (read < length)
        {
            return Incomplete();
        }

        frame = new Frame(kind, Position, _body.AsMemory(0, length));
        Position += FileLayout.FrameHeaderLength + length;
        return FrameReadStatus.Frame;
    }

    public async ValueTask<(FrameReadStatus Status, Frame Frame)> ReadAsync(CancellationToken cancellationToken)
    {
        var read = await stream.ReadAtLeastAsync(_head, _head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return (FrameReadStatus.End, default);
        }

        if (read < _head.Length)
        {
            return (Incomplete(), default);
        }

        if (!TryParseHead(out var kind, out var length))
        {
            return (FrameReadStatus.Corrupt, default);
        }

        EnsureBody(length);
        read = await stream.ReadAtLeastAsync(_body.AsMemory(0, length), length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < length)
        {
            return (Incomplete(), default);
        }

        var frame = new Frame(kind, Position, _body.AsMemory(0, length));
        Position += FileLayout.FrameHeaderLength + length;
        return (FrameReadStatus.Frame, frame);
    }

    private bool TryParseHead(out FrameKind kind, out int length)
    {
        kind = (FrameKind)_head[0];
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(_head.AsSpan(1));
        length = (int)Math.Min(declared, int.MaxValue);
        if (kind is not (FrameKind.Header or FrameKind.Segment or FrameKind.Checkpoint or FrameKind.Seal))
        {
            Error = $"byte {Position}: 0x{_head[0]:x2} is not a frame kind";
            return false;
        }

        if (declared > FileLayout.MaxFrameBodyLength)
        {
            Error = $"byte {Position}: frame length {declared} exceeds the maximum";
            return false;
        }

        return true;
    }

    private FrameReadStatus Incomplete()
    {
        Error = $"byte {Position}: the last frame is incomplete";
        return FrameReadStatus.Incomplete;
    }

    private void EnsureBody(int length)
    {
        if (_body.Length < length)
        {
            _body = new byte[Math.Min(FileLayout.MaxFrameBodyLength, Math.Max(length, _body.Length * 2))];
        }
    }
}
