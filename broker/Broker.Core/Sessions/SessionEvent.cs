namespace Broker.Core.Sessions;

/// <summary>Which channel output came from.</summary>
public enum OutputChannel
{
    /// <summary>A terminal (stdout and stderr merged by the PTY).</summary>
    Terminal,

    /// <summary>A command's standard output.</summary>
    Stdout,

    /// <summary>A command's standard error.</summary>
    Stderr,
}

/// <summary>Why a notice was sent.</summary>
public enum NoticeKind
{
    /// <summary>Informational.</summary>
    Info,

    /// <summary>The session is idle and will be closed soon.</summary>
    IdleTimeoutWarning,

    /// <summary>The session reaches its maximum duration soon.</summary>
    MaxDurationWarning,

    /// <summary>A client frame was rejected; the session continues.</summary>
    FrameRejected,

    /// <summary>The session is being ended by the broker.</summary>
    SessionEnding,

    /// <summary>The caller's token expired; the session ends after a grace period unless the client renews it.</summary>
    TokenExpiring,

    /// <summary>The target prepared the session before its first output (recorded, not shown to the agent).</summary>
    Setup,
}

/// <summary>Why a session ended.</summary>
public enum SessionEndReason
{
    /// <summary>The program exited on its own.</summary>
    Exited,

    /// <summary>The client went away.</summary>
    ClientClosed,

    /// <summary>An operator ended it.</summary>
    Terminated,

    /// <summary>No input or output for the idle timeout.</summary>
    IdleTimeout,

    /// <summary>The maximum duration was reached.</summary>
    MaxDuration,

    /// <summary>The broker is stopping.</summary>
    BrokerShutdown,

    /// <summary>A control the session depends on (masking, recording) failed: the session fails closed.</summary>
    ControlFailed,

    /// <summary>The policy refused the command, so nothing ran.</summary>
    PolicyDenied,

    /// <summary>The caller's token expired and was not renewed within the grace period.</summary>
    TokenExpired,

    /// <summary>The session's recording reached its size cap, or its storage the free-space floor; the recording is sealed.</summary>
    RecordingLimit,
}

/// <summary>One entry of a session's ordered event log, as its readers see it.</summary>
public abstract record SessionEvent
{
    private SessionEvent()
    {
    }

    /// <summary>Output bytes (after masking).</summary>
    public sealed record Output(OutputChannel Stream, ReadOnlyMemory<byte> Data) : SessionEvent
    {
        /// <summary>The pooled array <see cref="Data"/> lives in, if any; see <see cref="Release"/>.</summary>
        internal byte[]? Lease { get; init; }

        /// <summary>Returns the event's array to the pool once its bytes have been written out; <see cref="Data"/> is invalid afterwards.</summary>
        public void Release()
        {
            if (Lease is { Length: > 0 } lease)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(lease);
            }
        }
    }

    /// <summary>A notice for the client.</summary>
    public sealed record Notice(NoticeKind Kind, string Message) : SessionEvent;

    /// <summary>A command typed in a line-mode session was decided (the decision is the host's).</summary>
    public sealed record Decision(ICommandDecision Value) : SessionEvent;

    /// <summary>The session ended; always the last event.</summary>
    public sealed record Ended(int Code, int Signal, SessionEndReason Reason) : SessionEvent;
}

/// <summary>A policy decision on one command, as the host made it.</summary>
public interface ICommandDecision
{
    /// <summary>The command as decided.</summary>
    string Command { get; }

    /// <summary>Whether it was allowed to run.</summary>
    bool Allowed { get; }
}
