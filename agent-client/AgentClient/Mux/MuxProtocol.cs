using System.Buffers.Binary;
using System.Text;

namespace AgentClient.Mux;

/// <summary>One command handed to a master: which master it is for, the argv, and the variables the command reads.</summary>
internal sealed record MuxRequest(string Key, string[] Argv, IReadOnlyList<KeyValuePair<string, string>> Environment);

/// <summary>
/// The bytes between a thin client and its master. The client opens with one byte (<see cref="Run"/>
/// with its descriptors 0, 1 and 2 attached, or <see cref="Status"/>, or <see cref="Stop"/>); a run
/// continues with a length-prefixed <see cref="MuxRequest"/>, then signal frames. The master answers
/// with one-byte frames, some followed by a 32-bit little-endian number.
/// </summary>
internal static class MuxProtocol
{
    /// <summary>Client: run this request (descriptors 0, 1, 2 attached).</summary>
    public const byte Run = (byte)'R';

    /// <summary>Client: describe the master.</summary>
    public const byte Status = (byte)'S';

    /// <summary>Client: stop the master once its running commands end.</summary>
    public const byte Stop = (byte)'Q';

    /// <summary>Client: a signal arrived (number follows).</summary>
    public const byte Signal = (byte)'I';

    /// <summary>Master: the request is taken; from here on the command runs (a client no longer falls back).</summary>
    public const byte Accepted = (byte)'A';

    /// <summary>Master: not my broker or not a request I can read; the client takes the direct path.</summary>
    public const byte NotMine = (byte)'N';

    /// <summary>Master: the command's exit code follows.</summary>
    public const byte Exit = (byte)'X';

    /// <summary>Master: end yourself with this signal (follows), as the direct path's second signal would.</summary>
    public const byte Kill = (byte)'K';

    /// <summary>Master: a line of text follows (length-prefixed), the answer to status or stop.</summary>
    public const byte Text = (byte)'T';

    /// <summary>A request larger than this is refused (the kernel's own argv limit is 2 MiB).</summary>
    public const int MaxRequest = 4 << 20;

    /// <summary>A termination signal's number on Linux, as <see cref="Signal"/> and <see cref="Kill"/> frames carry it.</summary>
    public static int SignalNumber(System.Runtime.InteropServices.PosixSignal signal) => signal switch
    {
        System.Runtime.InteropServices.PosixSignal.SIGHUP => 1,
        System.Runtime.InteropServices.PosixSignal.SIGINT => 2,
        System.Runtime.InteropServices.PosixSignal.SIGQUIT => 3,
        _ => 15,
    };

    /// <summary>The request as a length-prefixed block.</summary>
    public static byte[] Encode(MuxRequest request)
    {
        using var buffer = new MemoryStream();
        Span<byte> number = stackalloc byte[4];
        buffer.Write(number);
        WriteString(buffer, request.Key);
        WriteInt(buffer, request.Argv.Length);
        foreach (var arg in request.Argv)
        {
            WriteString(buffer, arg);
        }

        WriteInt(buffer, request.Environment.Count);
        foreach (var (name, value) in request.Environment)
        {
            WriteString(buffer, name);
            WriteString(buffer, value);
        }

        var bytes = buffer.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes, bytes.Length - 4);
        return bytes;
    }

    /// <summary>Reads a request's body (without its length prefix); null if it is malformed.</summary>
    public static MuxRequest? Decode(ReadOnlySpan<byte> body)
    {
        var reader = new Reader(body);
        if (reader.String() is not { } key || reader.Count() is not { } argc)
        {
            return null;
        }

        var argv = new string[argc];
        for (var i = 0; i < argc; i++)
        {
            if (reader.String() is not { } arg)
            {
                return null;
            }

            argv[i] = arg;
        }

        if (reader.Count() is not { } envc)
        {
            return null;
        }

        var environment = new List<KeyValuePair<string, string>>(envc);
        for (var i = 0; i < envc; i++)
        {
            if (reader.String() is not { } name || reader.String() is not { } value)
            {
                return null;
            }

            environment.Add(new(name, value));
        }

        return reader.AtEnd ? new MuxRequest(key, argv, environment) : null;
    }

    /// <summary>A one-byte frame with a number.</summary>
    public static byte[] Frame(byte kind, int number)
    {
        var frame = new byte[5];
        frame[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1), number);
        return frame;
    }

    /// <summary>A <see cref="Text"/> frame.</summary>
    public static byte[] TextFrame(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var frame = new byte[5 + bytes.Length];
        frame[0] = Text;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(1), bytes.Length);
        bytes.CopyTo(frame, 5);
        return frame;
    }

    private static void WriteInt(Stream stream, int value)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(number, value);
        stream.Write(number);
    }

    private static void WriteString(Stream stream, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteInt(stream, bytes.Length);
        stream.Write(bytes);
    }

    private ref struct Reader(ReadOnlySpan<byte> body)
    {
        private ReadOnlySpan<byte> _rest = body;

        public readonly bool AtEnd => _rest.IsEmpty;

        public int? Count()
        {
            if (_rest.Length < 4)
            {
                return null;
            }

            var value = BinaryPrimitives.ReadInt32LittleEndian(_rest);
            _rest = _rest[4..];

            // Every item takes at least four bytes: a count larger than what is left is a lie.
            return value >= 0 && value <= _rest.Length / 4 ? value : null;
        }

        public string? String()
        {
            if (_rest.Length < 4)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(_rest);
            if (length < 0 || length > _rest.Length - 4)
            {
                return null;
            }

            var value = Encoding.UTF8.GetString(_rest.Slice(4, length));
            _rest = _rest[(4 + length)..];
            return value;
        }
    }
}
