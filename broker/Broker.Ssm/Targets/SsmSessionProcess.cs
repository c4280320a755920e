using System.IO.Pipelines;
using Broker.Core.Processes;
using Broker.Core.Targets;
using Broker.Ssm.Api;
using Broker.Ssm.DataChannel;
using Broker.Ssm.Protocol;
using Microsoft.Extensions.Logging;

namespace Broker.Ssm.Targets;

/// <summary>
/// What a terminal and a command on SSM share: one session, its data channel and the API client
/// that opened it. The program has exited when the channel ends: on channel_closed with the status
/// the remote side reported, with 255 when the channel broke for good, or as if killed when our side
/// ended it, in which case the session is terminated through the API (the service would otherwise
/// keep it until it times out).
/// </summary>
internal abstract partial class SsmSessionProcess : ITargetProcess
{
    /// <summary>A remote program whose end we could not learn (as ssh reports a lost connection).</summary>
    public const int LostExitCode = 255;

    private static readonly TimeSpan TerminateTimeout = TimeSpan.FromSeconds(30);

    private readonly SsmSessionApi _api;
    private readonly ExitStatusMarkerFilter _exitMarker;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<ProcessExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task<SsmApiResult<string>>? _termination;
    private int _killed;
    private int _disposed;

    protected SsmSessionProcess(SsmSessionApi api, SsmDataChannel channel, ExitStatusMarkerFilter exitMarker, ILogger logger)
    {
        CustomerMessage = channel.Ready.IsCompletedSuccessfully ? channel.Ready.Result.Session?.CustomerMessage : null;
        _api = api;
        Channel = channel;
        _exitMarker = exitMarker;
        _logger = logger;
        _ = channel.Closed.ContinueWith(t => _exited.TrySetResult(ExitFor(t.Result)), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    /// <summary>The SSM session id.</summary>
    public string SessionId => Channel.SessionId;

    /// <summary>The agent's message for the user from the handshake (AWS's plugin prints it), if any.</summary>
    public string? CustomerMessage { get; }

    /// <summary>How many times the data channel was resumed after its WebSocket dropped.</summary>
    internal int Resumes => Channel.Resumes;

    /// <summary>How many received frames the channel dropped as malformed (they came again).</summary>
    internal int RejectedFrames => Channel.RejectedFrames;

    /// <summary>Whether our side terminated the session through the API.</summary>
    public bool TerminatedByBroker => Volatile.Read(ref _killed) != 0 && _termination is not null;

    public PipeReader Output => Channel.Output;

    public abstract PipeReader? ErrorOutput { get; }

    public Task<ProcessExit> Exited => _exited.Task;

    /// <summary>
    /// The instance's terminal modes are not visible over the data channel: a command's input is recorded as typed, and a
    /// terminal infers a no-echo read from a password prompt on its screen (<see cref="SsmTerminalProcess"/>).
    /// </summary>
    public virtual TerminalInputMode InputMode => TerminalInputMode.NotATerminal;

    protected SsmDataChannel Channel { get; }

    public abstract ValueTask<bool> WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    public abstract ValueTask CompleteInputAsync(CancellationToken cancellationToken);

    public abstract bool Resize(int columns, int rows);

    public abstract bool SetEcho(bool enabled);

    /// <summary>
    /// Ctrl-C, Ctrl-\ and Ctrl-Z go as the bytes a terminal would send (the agent turns them into
    /// signals for a command, the remote terminal for a shell); SSM has no way to send any other signal.
    /// </summary>
    public bool Signal(TargetSignal signal)
    {
        byte? control = signal switch
        {
            TargetSignal.Interrupt => 0x03,
            TargetSignal.Quit => 0x1C,
            TargetSignal.Suspend => 0x1A,
            _ => null,
        };
        if (control is not { } value || Channel.Closed.IsCompleted)
        {
            return false;
        }

        _ = Channel.SendAsync(PayloadType.Output, new[] { value }, CancellationToken.None).AsTask();
        return true;
    }

    /// <summary>Ends the session from our side: the channel closes and the session is terminated on the instance.</summary>
    public void KillAll()
    {
        if (Channel.Closed.IsCompleted && Channel.Closed.Result.Kind == ChannelEndKind.Closed)
        {
            // The service already ended it; there is nothing left to terminate.
            return;
        }

        if (Interlocked.Exchange(ref _killed, 1) != 0)
        {
            return;
        }

        _exited.TrySetResult(new ProcessExit(128 + 9, 9));
        Channel.Close();
        _termination = TerminateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        KillAll();
        if (_termination is { } termination)
        {
            await termination.ConfigureAwait(false);
        }

        await Channel.DisposeAsync().ConfigureAwait(false);
        _api.Dispose();
    }

    /// <summary>The exit for an orderly end, when the remote side reported no status of its own.</summary>
    protected abstract int ExitCodeWithoutMarker { get; }

    private ProcessExit ExitFor(ChannelEnd end) => end.Kind switch
    {
        ChannelEndKind.Closed => new ProcessExit(_exitMarker.ExitStatus ?? ExitCodeWithoutMarker, 0),
        ChannelEndKind.LocalClose => new ProcessExit(128 + 9, 9),
        _ => new ProcessExit(_exitMarker.ExitStatus ?? LostExitCode, 0),
    };

    private async Task<SsmApiResult<string>> TerminateAsync()
    {
        using var timeout = new CancellationTokenSource(TerminateTimeout);
        var result = await _api.TerminateSessionAsync(SessionId, timeout.Token).ConfigureAwait(false);
        if (result.Succeeded)
        {
            LogTerminated(_logger, SessionId);
        }
        else
        {
            LogTerminateFailed(_logger, SessionId, result.Error!);
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SSM session {SessionId} terminated by the broker")]
    private static partial void LogTerminated(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TerminateSession on SSM session {SessionId} failed: {Error}; the service ends it when it times out")]
    private static partial void LogTerminateFailed(ILogger logger, string sessionId, string error);
}
