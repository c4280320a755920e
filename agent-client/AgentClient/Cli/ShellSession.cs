using System.Buffers;
using System.Runtime.InteropServices;
using AgentClient.Connection;
using AgentClient.Terminal;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Recorder;

namespace AgentClient.Cli;

/// <summary>
/// One interactive session. On a terminal the local terminal is raw for the session's length
/// (every key is sent as typed: Ctrl-C, Ctrl-Z, Ctrl-\ and escape sequences are bytes for the
/// remote side), window-size changes become resize frames, and the client's escape sequences
/// (<see cref="EscapeSequence"/>) are honoured. With piped input the bytes are sent as they come
/// and the end of the pipe ends the input.
/// </summary>
internal sealed class ShellSession : IDisposable
{
    private readonly BrokerContext _broker;
    private readonly string _target;
    private readonly byte? _escapeCharacter;
    private readonly CancellationTokenSource _closed = new();
    private readonly Stream _stdout = StandardStreams.Output;
    private RequestWriter<InteractRequest>? _writer;
    private LocalTerminal? _terminal;

    public ShellSession(BrokerContext broker, string target, byte? escapeCharacter)
    {
        _broker = broker;
        _target = target;
        _escapeCharacter = escapeCharacter;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        using var stopInput = CancellationTokenSource.CreateLinkedTokenSource(ended.Token);
        var client = new SessionService.SessionServiceClient(_broker.Connection.Channel);
        using var call = client.Interact(cancellationToken: ended.Token);
        using var writer = new RequestWriter<InteractRequest>(call.RequestStream);
        _writer = writer;
        var size = WindowSize.Current();
        var open = new OpenTerminal
        {
            Target = _target,
            Size = new TerminalSize { Columns = (uint)size.Columns, Rows = (uint)size.Rows },
            Term = Environment.GetEnvironmentVariable("TERM") ?? "xterm-256color",
        };
        var exit = -1;

        // Output frames that arrived together are written together; a lone one (a key's echo) at once.
        using var output = new GatheredOutput(_stdout);
        try
        {
            await FirstFrame.SendAsync(call.RequestStream, new InteractRequest { Open = open }, ended.Token).ConfigureAwait(false);
            using var resize = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
            {
                context.Cancel = true;
                SendSize();
            });
            var frames = call.ResponseStream;
            while (await output.MoveNextAsync(frames, ended.Token).ConfigureAwait(false))
            {
                var frame = frames.Current;
                if (frame.FrameCase != InteractResponse.FrameOneofCase.Output)
                {
                    // Whatever the frame does (a notice on standard error, the exit), the output before it shows first.
                    output.Flush();
                }

                switch (frame.FrameCase)
                {
                    case InteractResponse.FrameOneofCase.Opened:
                        _terminal = StandardStreams.InputIsTerminal ? LocalTerminal.Enter(TerminalMode.Raw, resumed: SendSize) : null;
                        _ = PumpInputAsync(stopInput.Token);
                        break;
                    case InteractResponse.FrameOneofCase.Output:
                        output.Add(frame.Output.Span);
                        break;
                    case InteractResponse.FrameOneofCase.Notice:
                        Note($"[broker] {UntrustedText.Neutralize(frame.Notice.Message)}");
                        if (frame.Notice.Kind == NoticeKind.TokenExpiring && _broker.Renewal() is { } fresh)
                        {
                            await writer.WriteAsync(new InteractRequest { RenewToken = new RenewToken { BearerToken = fresh } }, ended.Token).ConfigureAwait(false);
                        }

                        break;
                    case InteractResponse.FrameOneofCase.Exit:
                        exit = frame.Exit.Code;
                        break;
                }

                if (exit >= 0)
                {
                    // The exit status is the session's last frame. Reading on to the trailers would only risk losing
                    // it to a connection the broker closes as it stops.
                    break;
                }
            }

            output.Flush();
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && _closed.IsCancellationRequested)
        {
            Leave();
            return ExitCodes.Report(ExitCodes.ClosedByEscape, $"session closed with {(char)_escapeCharacter!.Value}. (the broker ends its programs)");
        }
        finally
        {
            // A read still waiting for a key would take the next key typed at the user's own shell.
            await stopInput.CancelAsync().ConfigureAwait(false);
            Leave();
        }

        return exit >= 0 ? exit : ExitCodes.Report(ExitCodes.Failed, "the broker ended the session without an exit status");
    }

    public void Dispose() => _closed.Dispose();

    private void Leave()
    {
        _terminal?.Dispose();
        _terminal = null;
    }

    private async Task PumpInputAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var forward = new ArrayBufferWriter<byte>(buffer.Length);
        var escape = _terminal is not null && _escapeCharacter is { } character ? new EscapeSequence(character) : null;
        try
        {
            int n;
            while ((n = await StandardStreams.Input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (!await SendKeysAsync(buffer.AsMemory(0, n), escape, forward, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            await _writer!.WriteAsync(new InteractRequest { EndOfInput = new EndOfInput() }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or OperationCanceledException or IOException)
        {
            // The session ended while we were still reading the keyboard.
        }
    }

    /// <summary>Sends typed keys, carrying out escape commands on the way; false once the session should stop reading.</summary>
    private async Task<bool> SendKeysAsync(ReadOnlyMemory<byte> keys, EscapeSequence? escape, ArrayBufferWriter<byte> forward, CancellationToken cancellationToken)
    {
        if (escape is null)
        {
            return await _writer!.WriteAsync(new InteractRequest { Input = ByteString.CopyFrom(keys.Span) }, cancellationToken).ConfigureAwait(false);
        }

        while (!keys.IsEmpty)
        {
            forward.ResetWrittenCount();
            var (command, consumed) = escape.Process(keys.Span, forward);
            keys = keys[consumed..];
            if (forward.WrittenCount > 0 && !await _writer!.WriteAsync(new InteractRequest { Input = ByteString.CopyFrom(forward.WrittenSpan) }, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            switch (command)
            {
                case EscapeCommand.Disconnect:
                    // The terminal is still raw here: end the line the cursor is on.
                    StandardStreams.Err.Write("\r\n");
                    await _closed.CancelAsync().ConfigureAwait(false);
                    return false;
                case EscapeCommand.Suspend:
                    _terminal?.Suspend();
                    break;
                case EscapeCommand.Help:
                    Note(escape.Help);
                    break;
            }
        }

        return true;
    }

    private void SendSize()
    {
        var size = WindowSize.Current();
        _ = _writer?.WriteAsync(new InteractRequest { Resize = new TerminalSize { Columns = (uint)size.Columns, Rows = (uint)size.Rows } }, CancellationToken.None);
    }

    /// <summary>A line from the client or the broker, on its own line whatever the terminal's mode (a raw terminal does not turn \n into \r\n).</summary>
    private static void Note(string text) => StandardStreams.Err.Write($"\r\n{text}\r\n");
}
