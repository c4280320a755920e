using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Broker.Core.Processes;
using Broker.Core.Targets;
using Broker.Ssm.Protocol;

namespace Broker.DevServices.Ssm.Agent;

/// <summary>The agent's session plugins: a shell on a PTY, a command without one (the handshake before them is in EmulatedSession.Handshake.cs).</summary>
public sealed partial class EmulatedSession
{
    // Bounded: a test reads what the program was sent; a long session keeps only the start.
    private const int MaxRecordedInput = 4 * 1024 * 1024;

    private readonly MemoryStream _input = new();
    private ITargetProcess? _program;
    private int _columns = 80;
    private int _rows = 24;
    private int _finishing;

    /// <summary>The terminal size the program has (the last size frame the agent applied).</summary>
    public (int Columns, int Rows) Size
    {
        get
        {
            lock (_gate)
            {
                return (_columns, _rows);
            }
        }
    }

    /// <summary>Every byte the program was given as input (the first 4 MiB).</summary>
    public byte[] InputReceived()
    {
        lock (_gate)
        {
            return _input.ToArray();
        }
    }

    private async Task RunAgentAsync()
    {
        string? reason = null;
        try
        {
            var type = Document.SessionType;
            if (type == HandshakeNames.NonInteractiveCommands || _options.StandardStreamHandshake || _options.KmsKeyId is not null)
            {
                reason = await HandshakeAsync(type).ConfigureAwait(false);
                if (reason is not null)
                {
                    return;
                }
            }

            if (type == HandshakeNames.NonInteractiveCommands)
            {
                await RunCommandAsync().ConfigureAwait(false);
            }
            else
            {
                await RunTerminalAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or JsonException)
        {
            reason = $"the agent failed: {ex.Message}";
        }
        finally
        {
            await FinishAsync(reason, flush: true).ConfigureAwait(false);
        }
    }

    private async Task RunTerminalAsync()
    {
        IReadOnlyList<string> argv = Document.SessionType == HandshakeNames.InteractiveCommands ? ["/bin/sh", "-c", Command()] : [_options.Shell];
        int columns, rows;
        lock (_gate)
        {
            (columns, rows) = (_columns, _rows);
        }

        var started = LocalPrograms.StartOnTerminal(Spawn(argv), columns, rows);
        if (started.Process is not { } process)
        {
            await SendDataAsync(PayloadType.Output, Encoding.UTF8.GetBytes($"Unable to start command: {started.Error}\n")).ConfigureAwait(false);
            return;
        }

        if (!Started(process))
        {
            await process.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await PumpAsync(process.Output, PayloadType.Output).ConfigureAwait(false);
        await process.Exited.ConfigureAwait(false);
    }

    private async Task RunCommandAsync()
    {
        if (Shlex.Split(Command()) is not { Count: > 0 } argv)
        {
            await SendDataAsync(PayloadType.Output, Encoding.UTF8.GetBytes("Failed to parse commands input\n")).ConfigureAwait(false);
            return;
        }

        if (Document.SeparateOutputStream)
        {
            var separate = LocalPrograms.StartWithPipes(Spawn(["/bin/sh", "-c", "exec \"$@\"", "sh", .. argv]));
            if (separate.Process is not { } process)
            {
                await SendDataAsync(PayloadType.StdErr, Encoding.UTF8.GetBytes($"Error occurred starting the command: {separate.Error}\n")).ConfigureAwait(false);
                await SendDataAsync(PayloadType.ExitCode, "EXIT_CODE: 1"u8.ToArray()).ConfigureAwait(false);
                return;
            }

            if (!Started(process))
            {
                await process.DisposeAsync().ConfigureAwait(false);
                return;
            }

            await process.CompleteInputAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(PumpAsync(process.Output, PayloadType.Output), PumpAsync(process.ErrorOutput!, PayloadType.StdErr)).ConfigureAwait(false);
            var exit = await process.Exited.ConfigureAwait(false);
            await SendDataAsync(PayloadType.ExitCode, Encoding.ASCII.GetBytes($"EXIT_CODE: {exit.Code}")).ConfigureAwait(false);
            return;
        }

        // As the agent: stdout and stderr go to one file, which is sent once the command has exited.
        var started = LocalPrograms.StartWithPipes(Spawn(["/bin/sh", "-c", "exec \"$@\" 2>&1", "sh", .. argv]));
        if (started.Process is not { } command)
        {
            await SendDataAsync(PayloadType.Output, Encoding.UTF8.GetBytes($"Error occurred starting the command: {started.Error}\n")).ConfigureAwait(false);
            return;
        }

        if (!Started(command))
        {
            await command.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await command.CompleteInputAsync(CancellationToken.None).ConfigureAwait(false);
        var path = Path.Combine(HomeDirectory, ".emulator-command-output");
        var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        await using (file.ConfigureAwait(false))
        {
            try
            {
                await Task.WhenAll(command.Output.CopyToAsync(file), command.ErrorOutput!.CopyToAsync(Stream.Null)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The session ended and disposed the command (FinishAsync cancels its reads): there is nothing to send.
                return;
            }

            await command.Exited.ConfigureAwait(false);
            file.Position = 0;
            await PumpAsync(PipeReader.Create(file, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true)), PayloadType.Output).ConfigureAwait(false);
        }
    }

    /// <summary>Makes a program the session's; false (and the caller disposes it) when the session ended meanwhile.</summary>
    private bool Started(ITargetProcess process)
    {
        lock (_gate)
        {
            if (State == EmulatedSessionState.Ended || _finishing != 0)
            {
                return false;
            }

            _program = process;
            _phase = AgentPhase.Ready;
            return true;
        }
    }

    private SpawnRequest Spawn(IReadOnlyList<string> argv)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = _options.InstancePath,
            ["HOME"] = HomeDirectory,
            ["TERM"] = "xterm-256color",
            ["LANG"] = "C.UTF-8",
            ["USER"] = _options.RunAs?.Name ?? Environment.UserName,
            ["LOGNAME"] = _options.RunAs?.Name ?? Environment.UserName,
        };
        var command = _options.RunAs is { } account ? account.Wrap(argv) : argv;
        return new SpawnRequest { Path = command[0], Arguments = command, Environment = environment, WorkingDirectory = HomeDirectory };
    }

    private string Command() =>
        Document.CommandParameter is { } name && Parameters.TryGetValue(name, out var values) ? string.Join('\n', values) : "";

    /// <summary>Sends a program's output as the agent does: payloads of at most 1024 bytes, never splitting a UTF-8 sequence.</summary>
    private async Task PumpAsync(PipeReader reader, PayloadType type)
    {
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    // The session ended and disposed the program (FinishAsync): what is left is not sent.
                    return;
                }

                var buffer = result.Buffer;
                var take = (int)Math.Min(buffer.Length, 64 * 1024);
                var bytes = buffer.Slice(0, take).ToArray();
                var last = result.IsCompleted && take == buffer.Length;
                // A character cut by the end of this read waits for the rest, unless nothing more comes.
                var usable = last ? bytes.Length : bytes.Length - Utf8Chunks.IncompleteTail(bytes);
                var offset = 0;
                while (offset < usable)
                {
                    var length = Utf8Chunks.NextLength(bytes.AsSpan(offset, usable - offset));
                    await SendDataAsync(type, bytes.AsMemory(offset, length)).ConfigureAwait(false);
                    offset += length;
                }

                reader.AdvanceTo(buffer.GetPosition(offset), buffer.GetPosition(take));
                if (last)
                {
                    return;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask ProcessInputAsync(ChannelMessage message)
    {
        ITargetProcess? program;
        AgentPhase phase;
        lock (_gate)
        {
            program = _program;
            phase = _phase;
        }

        switch (message.PayloadType)
        {
            case PayloadType.HandshakeResponse when phase == AgentPhase.Handshaking:
                _handshake?.TrySetResult(JsonSerializer.Deserialize(message.Payload.Span, SsmJsonContext.Default.HandshakeResponsePayload));
                break;
            case PayloadType.Output when phase == AgentPhase.Ready && program is not null:
                if (Document.SessionType == HandshakeNames.NonInteractiveCommands)
                {
                    // No stdin: a control character is a signal for the command.
                    if (ControlSignal(message.Payload.Span) is { } signal)
                    {
                        program.Signal(signal);
                    }

                    break;
                }

                lock (_gate)
                {
                    var room = MaxRecordedInput - (int)_input.Length;
                    _input.Write(message.Payload.Span[..Math.Min(room, message.Payload.Length)]);
                }

                await program.WriteInputAsync(message.Payload, CancellationToken.None).ConfigureAwait(false);
                break;
            case PayloadType.Size when phase == AgentPhase.Ready:
                var size = JsonSerializer.Deserialize(message.Payload.Span, SsmJsonContext.Default.SizeData);
                if (size is not null && Document.SessionType != HandshakeNames.NonInteractiveCommands)
                {
                    lock (_gate)
                    {
                        (_columns, _rows) = ((int)size.Columns, (int)size.Rows);
                    }

                    program?.Resize((int)size.Columns, (int)size.Rows);
                }

                break;
            case PayloadType.Flag when message.Payload.Length == 4 && BinaryPrimitives.ReadUInt32BigEndian(message.Payload.Span) == 2:
                _ = TerminateAsync();
                break;
            default:
                // Anything else, and anything before the program is ready, is acknowledged and dropped.
                break;
        }
    }

    private static TargetSignal? ControlSignal(ReadOnlySpan<byte> payload)
    {
        foreach (var b in payload)
        {
            switch (b)
            {
                case 0x03: return TargetSignal.Interrupt;
                case 0x1C: return TargetSignal.Quit;
                case 0x1A: return TargetSignal.Suspend;
            }
        }

        return null;
    }

    private void KillProgram()
    {
        lock (_gate)
        {
            _program?.KillAll();
        }
    }

    /// <summary>Ends the session: waits (bounded) for the client to acknowledge the output, then channel_closed.</summary>
    private async Task FinishAsync(string? reason, bool flush)
    {
        if (Interlocked.Exchange(ref _finishing, 1) != 0)
        {
            await _ended.Task.ConfigureAwait(false);
            return;
        }

        lock (_gate)
        {
            _phase = AgentPhase.Ending;
        }

        if (flush)
        {
            await FlushOutgoingAsync(_options.FlushTimeout).ConfigureAwait(false);
        }

        AgentConnection? connection;
        ITargetProcess? program;
        TaskCompletionSource? space;
        TaskCompletionSource<HandshakeResponsePayload?>? handshake;
        lock (_gate)
        {
            CloseReason = reason;
            State = EmulatedSessionState.Ended;
            connection = _connection;
            _connection = null;
            program = _program;
            _program = null;
            // Nothing acknowledges output any more: an output pump waiting for room in the window, or the
            // handshake for its answer, would wait for ever.
            (space, _space) = (_space, null);
            handshake = _handshake;
        }

        space?.TrySetResult();
        handshake?.TrySetResult(null);
        connection?.Enqueue(ControlMessages.Frame(MessageTypes.ChannelClosed, ChannelClosedPayload(reason), DateTimeOffset.UtcNow));
        connection?.CloseAfterQueued();
        try
        {
            if (program is not null)
            {
                await program.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // A disposed program's output is never completed when it had not reached its end: the descriptor is
            // closed before the event loop read the end of file (the leader was reaped while a child killed with it
            // still held the terminal), or a detached process still holds it. The pumps take a cancelled read as the end.
            program?.Output.CancelPendingRead();
            program?.ErrorOutput?.CancelPendingRead();

            _ended.TrySetResult();
        }
    }
}
