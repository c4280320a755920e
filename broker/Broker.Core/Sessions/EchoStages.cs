using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Broker.Core.Sessions;

/// <summary>
/// A measurement-only diagnostic (docs/BENCHMARKS.md, "where an echo's time goes"): with the environment variable
/// <c>BROKER_ECHO_STAGES</c> set to a file path, the broker stamps each one-key input frame of an interactive session
/// at every stage on its way back as an echo, and writes the stamps (<see cref="Stopwatch"/> ticks, which on Linux are
/// the system's monotonic clock and so comparable with another process's) to that file at exit. Unset, every stage
/// costs one read of a static field. The file is written when the process gets SIGTERM (bench/run gives the broker half a
/// second before SIGKILL, less than the host's own shutdown) or exits. One key is followed at a time: the bench types one key and waits for its echo.
/// </summary>
public static class EchoStages
{
    /// <summary>The stages in order; the file has one line per echo with a tick count per stage.</summary>
    public enum Stage
    {
        /// <summary>The key's input frame was read from the gRPC request stream.</summary>
        KeyReceived,

        /// <summary>The key was written to the PTY (the session's input call returned).</summary>
        KeyWritten,

        /// <summary>The descriptor loop read the echo from the PTY.</summary>
        PtyRead,

        /// <summary>The session's output pump woke with the echo (inline on the loop thread or from the pool).</summary>
        PumpWoke,

        /// <summary>The echo went through the output filters and into the session's event queue.</summary>
        Queued,

        /// <summary>The gRPC call's event loop took the echo from the queue.</summary>
        Dequeued,

        /// <summary>The echo's response frame write returned.</summary>
        FrameWritten,
    }

    private static readonly string? s_path = Environment.GetEnvironmentVariable("BROKER_ECHO_STAGES") is { Length: > 0 } path ? path : null;
    private static readonly EchoStageRecorder? s_recorder = s_path is null ? null : new EchoStageRecorder(1 << 16, Stopwatch.GetTimestamp);
    private static readonly PosixSignalRegistration? s_onTerminate = s_path is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Dump());

    /// <summary>Whether stamps are being taken.</summary>
    public static bool Enabled => s_path is not null;

    static EchoStages()
    {
        if (s_path is not null)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Dump();
        }
    }

    /// <summary>A one-key frame of <paramref name="session"/> arrived: the stamps start over for it.</summary>
    public static void KeyReceived(object session) => s_recorder?.KeyReceived(session);

    /// <summary>Stamps <paramref name="stage"/> of the followed key if <paramref name="session"/> (null: any) is its session and the stage is not stamped yet.</summary>
    public static void Mark(object? session, Stage stage) => s_recorder?.Mark(session, stage);

    private static void Dump()
    {
        GC.KeepAlive(s_onTerminate);
        using var writer = new StreamWriter(s_path!);
        s_recorder!.WriteTo(writer);
    }
}
