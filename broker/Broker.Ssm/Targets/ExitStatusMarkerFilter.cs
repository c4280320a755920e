using System.Buffers;
using System.Text;

namespace Broker.Ssm.Targets;

/// <summary>
/// Takes the exit-status marker <c>ESC ] 133 ; X ; tag ; status BEL</c> out of an output stream
/// and keeps its status. SSM reports no exit status for a shell, and none for a command run by
/// AWS-StartNonInteractiveCommand, so the broker has the remote side print one with a per-session
/// tag: the shell's exit trap, or the wrapper around a command. A chunk that ends inside what could
/// still become the marker is held until more output arrives: the held bytes are the start of an
/// escape sequence, which a terminal shows nothing of until it is complete.
/// </summary>
internal sealed class ExitStatusMarkerFilter
{
    private const byte Escape = 0x1B;
    private const byte Bell = 0x07;
    private const int MaxDigits = 3;

    private readonly byte[] _prefix;
    private readonly ArrayBufferWriter<byte> _held = new(64);

    public ExitStatusMarkerFilter(string tag, PasswordPromptWatch? prompt = null)
    {
        _prefix = Encoding.ASCII.GetBytes("\u001b]133;X;" + tag + ";");
        Prompt = prompt;
    }

    /// <summary>Sees the output as it arrives (a terminal's, to infer when it waits at a password prompt); null for a command.</summary>
    public PasswordPromptWatch? Prompt { get; }

    /// <summary>The status of the last marker seen, if any.</summary>
    public int? ExitStatus { get; private set; }

    /// <summary>The marker as the remote side prints it for <paramref name="tag"/> (a printf format taking the status).</summary>
    public static string PrintfFormat(string tag) => "\\033]133;X;" + tag + ";%d\\007";

    public void Push(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        // The marker is an OSC string, which the watch reads as showing nothing: it may see the output unfiltered.
        Prompt?.Observe(chunk);
        if (_held.WrittenCount == 0)
        {
            Scan(chunk, output);
            return;
        }

        _held.Write(chunk);
        var data = _held.WrittenSpan.ToArray();
        _held.ResetWrittenCount();
        Scan(data, output);
    }

    public void FlushHeld(IBufferWriter<byte> output)
    {
        output.Write(_held.WrittenSpan);
        _held.ResetWrittenCount();
    }

    public void Complete(IBufferWriter<byte> output) => FlushHeld(output);

    private void Scan(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        while (!data.IsEmpty)
        {
            var escape = data.IndexOf(Escape);
            if (escape < 0)
            {
                output.Write(data);
                return;
            }

            output.Write(data[..escape]);
            data = data[escape..];
            var (length, status) = Match(data);
            if (length > 0)
            {
                ExitStatus = status;
                data = data[length..];
            }
            else if (length == 0)
            {
                _held.Write(data);
                return;
            }
            else
            {
                output.Write(data[..1]);
                data = data[1..];
            }
        }
    }

    /// <summary>The marker's length and status; 0 when <paramref name="data"/> ends inside a possible marker; -1 when it is not one.</summary>
    private (int Length, int Status) Match(ReadOnlySpan<byte> data)
    {
        var compared = Math.Min(data.Length, _prefix.Length);
        if (!data[..compared].SequenceEqual(_prefix.AsSpan(0, compared)))
        {
            return (-1, 0);
        }

        if (compared < _prefix.Length)
        {
            return (0, 0);
        }

        var i = _prefix.Length;
        var status = 0;
        while (i < data.Length && data[i] is >= (byte)'0' and <= (byte)'9' && i - _prefix.Length < MaxDigits)
        {
            status = (status * 10) + (data[i++] - '0');
        }

        if (i == data.Length)
        {
            return i - _prefix.Length <= MaxDigits ? (0, 0) : (-1, 0);
        }

        return i > _prefix.Length && data[i] == Bell ? (i + 1, status) : (-1, 0);
    }
}
