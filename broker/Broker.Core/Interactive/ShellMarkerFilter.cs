using System.Buffers;
using System.Text;
using Broker.Core.Sessions;

namespace Broker.Core.Interactive;

/// <summary>
/// Removes the shell's prompt markers (those carrying this session's nonce) from the terminal
/// output and reports them, in stream order. Markers without the nonce are ordinary output: a
/// program can print look-alikes, but cannot forge one. A chunk that ends inside what could still
/// become a marker is held back until the rest arrives (or the hold delay passes).
/// </summary>
public sealed class ShellMarkerFilter : IOutputFilter
{
    private const byte Escape = 0x1B;
    private const byte Bell = 0x07;
    private const int MaxStatusDigits = 3;

    private readonly byte[] _prefix = "\u001b]133;"u8.ToArray();
    private readonly byte[] _nonce;
    private readonly Action<ShellMarker> _onMarker;
    private readonly ArrayBufferWriter<byte> _held = new(64);
    private readonly int _maxLength;
    private OutputChannel _channel = OutputChannel.Terminal;

    /// <summary>A filter for the markers of the shell integration with <paramref name="nonce"/>; each one found is given to <paramref name="onMarker"/>.</summary>
    /// <param name="nonce">The session's nonce, which the shell's markers carry (a marker without it is output).</param>
    /// <param name="onMarker">Called with each marker taken out of the output.</param>
    public ShellMarkerFilter(string nonce, Action<ShellMarker> onMarker)
    {
        _nonce = Encoding.ASCII.GetBytes(nonce);
        _onMarker = onMarker;
        _maxLength = _prefix.Length + 2 + _nonce.Length + 1 + MaxStatusDigits + 1;
    }

    /// <inheritdoc/>
    public TimeSpan HoldDelay { get; } = TimeSpan.FromMilliseconds(50);

    /// <inheritdoc/>
    public bool HasHeldBytes => _held.WrittenCount > 0;

    // Markers come from the one stream a terminal has; other channels pass as they are.
    /// <inheritdoc/>
    public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output)
    {
        if (channel != OutputChannel.Terminal)
        {
            output.Channel(channel).Write(chunk);
            return;
        }

        _channel = channel;
        if (_held.WrittenCount == 0)
        {
            Scan(chunk, output.Channel(channel));
            return;
        }

        _held.Write(chunk);
        var data = _held.WrittenSpan.ToArray();
        _held.ResetWrittenCount();
        Scan(data, output.Channel(channel));
    }

    /// <inheritdoc/>
    public void EndChannel(OutputChannel channel, IOutputSink output)
    {
        if (channel == _channel)
        {
            Complete(output);
        }
    }

    /// <inheritdoc/>
    public void FlushHeld(IOutputSink output) => FlushHeld(output.Channel(_channel));

    /// <inheritdoc/>
    public void Complete(IOutputSink output) => Complete(output.Channel(_channel));

    private void FlushHeld(IBufferWriter<byte> output)
    {
        // A fragment that already carries part of the nonce is this session's marker cut by a pause
        // (no program knows the nonce): shown, it would give part of the nonce away, so it waits for
        // the rest. Anything else held never became a marker in time: it is output like any other.
        if (CarriesNonce)
        {
            return;
        }

        output.Write(_held.WrittenSpan);
        _held.ResetWrittenCount();
    }

    private void Complete(IBufferWriter<byte> output)
    {
        // The stream ended inside a marker: the fragment is dropped, never shown.
        if (!CarriesNonce)
        {
            output.Write(_held.WrittenSpan);
        }

        _held.ResetWrittenCount();
    }

    /// <summary>Whether the held fragment has matched the prefix, the kind, the separator and at least one nonce character.</summary>
    private bool CarriesNonce => _held.WrittenCount > _prefix.Length + 2;

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
            var (outcome, length, marker) = Match(data);
            switch (outcome)
            {
                case MatchOutcome.Marker:
                    _onMarker(marker);
                    data = data[length..];
                    break;
                case MatchOutcome.NeedMore:
                    _held.Write(data);
                    return;
                default:
                    output.Write(data[..1]);
                    data = data[1..];
                    break;
            }
        }
    }

    private (MatchOutcome Outcome, int Length, ShellMarker Marker) Match(ReadOnlySpan<byte> data)
    {
        var i = 0;
        foreach (var expected in _prefix)
        {
            if (i == data.Length)
            {
                return (MatchOutcome.NeedMore, 0, default);
            }

            if (data[i++] != expected)
            {
                return (MatchOutcome.None, 0, default);
            }
        }

        if (i == data.Length)
        {
            return (MatchOutcome.NeedMore, 0, default);
        }

        ShellMarkerKind kind;
        switch (data[i++])
        {
            case (byte)'A': kind = ShellMarkerKind.PromptStart; break;
            case (byte)'B': kind = ShellMarkerKind.PromptEnd; break;
            case (byte)'C': kind = ShellMarkerKind.CommandStart; break;
            default: return (MatchOutcome.None, 0, default);
        }

        var rest = data[i..];
        ReadOnlySpan<byte> expectedTail = [(byte)';', .. _nonce];
        var compared = Math.Min(rest.Length, expectedTail.Length);
        if (!rest[..compared].SequenceEqual(expectedTail[..compared]))
        {
            return (MatchOutcome.None, 0, default);
        }

        if (compared < expectedTail.Length)
        {
            return (MatchOutcome.NeedMore, 0, default);
        }

        i += expectedTail.Length;
        int? status = null;
        if (kind == ShellMarkerKind.PromptStart)
        {
            if (i == data.Length)
            {
                return (MatchOutcome.NeedMore, 0, default);
            }

            if (data[i++] != (byte)';')
            {
                return (MatchOutcome.None, 0, default);
            }

            var value = 0;
            var digits = 0;
            while (i < data.Length && data[i] is >= (byte)'0' and <= (byte)'9' && digits < MaxStatusDigits)
            {
                value = (value * 10) + (data[i++] - '0');
                digits++;
            }

            if (i == data.Length)
            {
                return i < _maxLength ? (MatchOutcome.NeedMore, 0, default) : (MatchOutcome.None, 0, default);
            }

            if (digits == 0)
            {
                return (MatchOutcome.None, 0, default);
            }

            status = value;
        }

        if (i == data.Length)
        {
            return (MatchOutcome.NeedMore, 0, default);
        }

        return data[i] == Bell ? (MatchOutcome.Marker, i + 1, new ShellMarker(kind, status)) : (MatchOutcome.None, 0, default);
    }

    private enum MatchOutcome
    {
        None,
        NeedMore,
        Marker,
    }
}
