using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using AgentClient.Cli;
using AgentClient.Terminal;

namespace AgentClient.Mux;

/// <summary>
/// The thin client: before any command-line or HTTP type is touched, hands an <c>exec</c> to this user's
/// master for the same broker, if one answers on a socket that passes every check, and waits for its exit
/// code while forwarding signals. Its standard descriptors go to the master with the request, so the
/// command's output is written to them directly. Anything else (no master, a socket or directory that is
/// not private, a master of another uid, a request the master declines) is silence and the direct path.
/// </summary>
internal static class MuxClient
{
    /// <summary>The exit code of a command a master ran, or null to take the direct path.</summary>
    public static int? TryRun(string[] args)
    {
        var mode = Environment.GetEnvironmentVariable("AGENT_CLIENT_MUX");
        if (mode is "no" || MuxArguments.Read(args, Environment.GetEnvironmentVariable) is not { } request)
        {
            return null;
        }

        var uid = MuxNative.GetUid();
        var directory = MuxLocation.Directory();
        if (MuxLocation.SocketPath(directory, request.Key) is not { } socketPath)
        {
            return null;
        }

        if (MuxLocation.CheckDirectory(directory, uid) is null && MuxLocation.CheckSocket(socketPath, uid) is null && Connect(socketPath, uid) is { } connection)
        {
            using (connection)
            {
                if (Run(connection, request, [LibC.StandardInput, LibC.StandardOutput, LibC.StandardError]) is { } code)
                {
                    return code;
                }
            }
        }

        if (mode is "auto")
        {
            StartMaster(args);
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
                _ = connection.Send(MuxProtocol.Frame(MuxProtocol.Signal, TerminationSignals.Number(context.Signal)));
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
                    _ = LibC.Kill(Environment.ProcessId, number);
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

        return ExitCodes.Report(ExitCodes.Failed, "the multiplexer master ended the command without an exit status");
    }

    /// <summary>
    /// Auto mode: starts a master for this broker in the background (it detaches, and one that finds
    /// another already serving exits). The master gets the broker and TLS options, never the token.
    /// </summary>
    private static void StartMaster(string[] args)
    {
        if (Environment.ProcessPath is not { } self)
        {
            return;
        }

        var info = new ProcessStartInfo(self)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in MuxArguments.MasterOptions(args))
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("mux");
        info.ArgumentList.Add("start");
        info.ArgumentList.Add("--background");
        if (Environment.GetEnvironmentVariable("AGENT_CLIENT_MUX_PERSIST") is { Length: > 0 } persist)
        {
            info.ArgumentList.Add("--persist");
            info.ArgumentList.Add(persist);
        }

        info.Environment.Remove("BROKER_TOKEN");
        try
        {
            Process.Start(info)?.Dispose();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No master this time; the command itself runs directly either way.
        }
    }
}
