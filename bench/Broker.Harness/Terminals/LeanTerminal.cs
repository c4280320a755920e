using System.Net;
using System.Net.Sockets;
using Broker.Harness.Floor;

namespace Broker.Harness.Terminals;

/// <summary>A session on the lean-pty floor server: one TCP connection speaking <see cref="LeanFrames"/>.</summary>
internal sealed class LeanTerminal : ITerminal
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;
    // The typing loop sends one key at a time: one buffer for the frame it is sending.
    private byte[] _frame = new byte[LeanFrames.HeaderLength + 64];

    private LeanTerminal(Socket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadAsync);
    }

    public OutputMonitor Output { get; } = new();

    /// <summary>Connects to <paramref name="address"/> (<c>http://IP:PORT</c>, as bench/run names the floor servers) and opens a terminal.</summary>
    public static async Task<LeanTerminal> OpenAsync(Uri address, CancellationToken cancellationToken)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(address.Host), address.Port);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var terminal = new LeanTerminal(socket);
        try
        {
            await socket.SendAsync(LeanFrames.OpenFrame(200, 50, "xterm-256color"), cancellationToken).ConfigureAwait(false);
            await terminal._opened.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            var reason = terminal.Output.Closed ?? ex.Message;
            await terminal.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"the session did not open: {reason}", ex);
        }

        return terminal;
    }

    private async Task ReadAsync()
    {
        var reason = "the server closed the connection";
        var buffer = new byte[LeanFrames.HeaderLength + LeanFrames.MaxPayload];
        var start = 0;
        var end = 0;
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                end += n;
                while (end - start >= LeanFrames.HeaderLength)
                {
                    if (!LeanFrames.TryReadHeader(buffer.AsSpan(start), out var kind, out var length))
                    {
                        throw new IOException("the server sent a frame longer than the protocol allows");
                    }

                    if (end - start < LeanFrames.HeaderLength + length)
                    {
                        break;
                    }

                    if (kind == LeanFrames.Opened)
                    {
                        _opened.TrySetResult();
                    }
                    else if (kind == LeanFrames.Output)
                    {
                        Output.OnOutput(buffer.AsSpan(start + LeanFrames.HeaderLength, length));
                    }

                    start += LeanFrames.HeaderLength + length;
                }

                // A partial frame moves to the front, where the buffer holds the largest whole one.
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            reason = ex.Message;
        }

        _opened.TrySetException(new IOException(reason));
        Output.OnClosed(reason);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        if (_frame.Length < LeanFrames.HeaderLength + input.Length)
        {
            _frame = new byte[LeanFrames.HeaderLength + input.Length];
        }

        LeanFrames.WriteHeader(_frame, LeanFrames.Input, input.Length);
        input.Span.CopyTo(_frame.AsSpan(LeanFrames.HeaderLength));
        var frame = _frame.AsMemory(0, LeanFrames.HeaderLength + input.Length);
        while (!frame.IsEmpty)
        {
            frame = frame[await _socket.SendAsync(frame, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        // Closing the connection ends the server's session, and the reader's receive if the cancellation has not.
        _socket.Dispose();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The reader is past help; the connection is closed all the same.
        }

        _stop.Dispose();
    }
}
