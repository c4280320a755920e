using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace AgentClient.Mux;

/// <summary>
/// The thin client: before any command-line or HTTP type is touched, hands an <c>exec</c> to this user's
/// master for the same broker, if one answers on a socket that passes every check, and waits for its exit
/// code while forwarding signals. Its standard descriptors go to the master with the request, so the
/// command's output is written to them directly. Anything else (no master, a socket or directory that is
/// not private, a master of another uid, a request the master declines) is silence and the direct path.
/// This file is also the heart of the thin executable (AgentClient.Thin), which has no other code of the
/// client's: what it needs from the rest (how a failure is reported) is a partial method each provides.
/// </summary>
internal static partial class MuxClient
{
    /// <summary>
    /// The exit code of a command a master ran, or null to take the direct path; in auto mode
    /// <paramref name="startMaster"/> is then called with the arguments (the thin executable passes
    /// null: the full client it hands over to starts the master).
    /// </summary>
    public static int? TryRun(string[] args, Action<string[]>? startMaster)
    {
        var mode = Environment.GetEnvironmentVariable("AGENT_CLIENT_MUX");
        if (mode is "no" || MuxArguments.Read(args, Environment.GetEnvironmentVariable) is not { } request)
        {
            return null;
        }

        var uid = MuxNative.GetUid();
        var directory = MuxLocation.Directory(Environment.GetEnvironmentVariable);
        if (MuxLocation.SocketPath(directory, request.Key) is not { } socketPath)
        {
            return null;
        }

        if (MuxLocation.CheckDirectory(directory, uid) is null && MuxLocation.CheckSocket(socketPath, uid) is null && Connect(socketPath, uid) is { } connection)
        {
            using (connection)
            {
                // Standard input, output and error.
                if (Run(connection, request, [0, 1, 2]) is { } code)
                {
                    return code;
                }
            }
        }

        if (mode is "auto")
        {
            startMaster?.Invoke(args);
        }

        return null;
    }

    /// <summary>A connection to the socket whose peer is this user's own process, else null.</summary>
    public static MuxConnection? Connect(string socketPath, uint uid)
    {
        // Nobody listening (a master that has just stopped) is null: the direct path.
        var connection = MuxConnection.Open(socketPath);

        // The directory and socket were checked before; the peer's uid is checked after, so a socket swapped in between is still refused.
        if (connection?.PeerUid() == uid)
        {
            return connection;
        }

        connection?.Dispose();
        return null;
    }

    /// <summary>
    /// Hands <paramref name="request"/> with <paramref name="fds"/> (standard input, output, error) to the master at the
    /// other end and waits for the exit code; null if the master declined (nothing ran: take the direct path).
    /// </summary>
    public static int? Run(MuxConnection connection, MuxRequest request, ReadOnlySpan<int> fds)
    {
        Span<byte> reply = stackalloc byte[5];
        if (!MuxNative.SendWithDescriptors(connection.Handle, MuxProtocol.Run, fds)
            || !connection.Send(MuxProtocol.Encode(request))
            || !connection.ReceiveExactly(reply[..1]) || reply[0] != MuxProtocol.Accepted)
        {
            // Declined (or a master stopping): nothing has run yet.
            return null;
        }

        return Wait(connection, reply);
    }

    /// <summary>From here the command runs in the master: forward signals until its exit code comes.</summary>
    private static int Wait(MuxConnection connection, Span<byte> frame)
    {
        var registrations = new List<PosixSignalRegistration>(4);
        foreach (var signal in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT])
        {
            registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;

                // If the master has gone, the receive below reports it.
                _ = connection.Send(MuxProtocol.Frame(MuxProtocol.Signal, MuxProtocol.SignalNumber(context.Signal)));
            }));
        }

        try
        {
            while (connection.ReceiveExactly(frame))
            {
                var number = BinaryPrimitives.ReadInt32LittleEndian(frame[1..]);
                if (frame[0] == MuxProtocol.Exit)
                {
                    return number;
                }

                if (frame[0] == MuxProtocol.Kill)
                {
                    // The second signal: as on the direct path, it ends this process.
                    foreach (var registration in registrations)
                    {
                        registration.Dispose();
                    }

                    registrations.Clear();
                    _ = MuxNative.Kill(Environment.ProcessId, number);
                    return 128 + number;
                }
            }
        }
        finally
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }

        return ReportFailure("the multiplexer master ended the command without an exit status");
    }

    /// <summary>Prints <c>agent-client: MESSAGE</c> on standard error; returns the exit code of a failure (9).</summary>
    private static partial int ReportFailure(string message);
}
