using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Broker.Harness.Floor;
using Broker.Harness.Machine;
using Broker.Harness.Measurements;
using Broker.Harness.Systems;

namespace Broker.Harness.Workers;

/// <summary>
/// The harness run as a client worker (<c>--client-worker K</c>): it builds the same systems the harness drives, then
/// opens, types in and closes its share of each measurement's sessions as the parent's commands say
/// (<see cref="WorkerProtocol"/>). Its stdout carries only replies; its log goes to stderr, which the parent copies.
/// When its stdin closes, because the parent asked or because the parent is gone, it closes its sessions and exits.
/// </summary>
internal static class ClientWorker
{
    private static readonly TimeSpan s_closeOnExitTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(HarnessOptions options, int index)
    {
        var log = Console.Error;
        using var parentGone = new CancellationTokenSource();
        var commands = Channel.CreateUnbounded<string>();
        // Reading the console's stdin blocks a thread: one of its own, not the pool's.
        var reading = Task.Factory.StartNew(() => ReadCommands(commands.Writer, parentGone), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await using var replies = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        using var broker = new BrokerSystem(options.BrokerAddress, options.BrokerData, options.Target, options.TokenGroups, options.BrokerProcessId, options.AgentClient, $"bench-w{index}");
        using var replicas = options.ReplicaAddresses.Count > 0
            ? new ReplicaSetSystem(options.ReplicaAddresses, options.ReplicaProcessIds, options.ReplicaData!, options.Target, options.TokenGroups, options.AgentClient, $"w{index}-replica")
            : null;
        var systems = new List<ISystemUnderTest> { broker, new SshSystem(options.SshConfig, options.SshHost, options.SshdProcessId), new DirectPtySystem() };
        systems.AddRange(options.FloorServers.Select(s => s.System()));
        if (replicas is not null)
        {
            systems.Add(replicas);
        }

        // Recording this process's pauses from now, so that the first typing window's are not missed.
        _ = GcPauses.InThisProcess;
        InProcessSessions? sessions = null;
        var status = 0;
        try
        {
            await ReplyAsync(replies, WorkerProtocol.Ready).ConfigureAwait(false);
            await foreach (var command in commands.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var fields = command.Split(' ');
                switch (fields[0])
                {
                    case WorkerProtocol.Open when sessions is null && fields.Length >= 4:
                        var name = string.Join(' ', fields[3..]);
                        var system = systems.Find(s => s.Name == name) ?? throw new InvalidOperationException($"no system named '{name}'");
                        sessions = await InProcessSessions.OpenAsync(system, WorkerProtocol.Int(fields[1]), WorkerProtocol.Int(fields[2]), log, parentGone.Token).ConfigureAwait(false);
                        await ReplyAsync(replies, WorkerProtocol.Format($"{WorkerProtocol.Opened} {sessions.Opened} {sessions.OpenFailures}")).ConfigureAwait(false);
                        break;
                    case WorkerProtocol.Type when sessions is not null && fields.Length == 6:
                        await ReplyAsync(replies, await TypeAsync(sessions, index, fields, parentGone.Token).ConfigureAwait(false)).ConfigureAwait(false);
                        break;
                    case WorkerProtocol.Close when sessions is not null:
                        await sessions.DisposeAsync().ConfigureAwait(false);
                        sessions = null;
                        await ReplyAsync(replies, WorkerProtocol.Closed).ConfigureAwait(false);
                        break;
                    default:
                        throw new InvalidOperationException($"unexpected command '{command}'{(sessions is null ? " with no sessions open" : " with sessions open")}");
                }
            }
        }
        catch (OperationCanceledException) when (parentGone.IsCancellationRequested)
        {
            log.WriteLine("the harness closed this worker's commands in the middle of a measurement: closing its sessions and exiting");
            status = 3;
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException or FormatException or Grpc.Core.RpcException)
        {
            log.WriteLine($"failed: {ex}");
            await TryReplyAsync(replies, $"{WorkerProtocol.Error} {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            status = 1;
        }
        finally
        {
            if (sessions is not null)
            {
                await CloseOnExitAsync(sessions, log).ConfigureAwait(false);
            }
        }

        if (status == 0)
        {
            // The commands ended, so the reader has: nothing of it is left running.
            await reading.ConfigureAwait(false);
        }

        // After a failure the reader may still be blocked on stdin; its thread is a background one and ends with us.
        return status;
    }

    /// <summary>
    /// Types in this worker's share and formats the <c>typed</c> reply: unresponsive sessions, CPU spent, this process's
    /// runtime pauses in the window, and every echo with its send time.
    /// </summary>
    private static async Task<string> TypeAsync(InProcessSessions sessions, int index, string[] fields, CancellationToken cancellationToken)
    {
        var window = TimeSpan.FromMilliseconds(WorkerProtocol.Double(fields[1]));
        var period = TimeSpan.FromMilliseconds(WorkerProtocol.Double(fields[2]));
        var stagger = new Stagger(WorkerProtocol.Int(fields[3]), WorkerProtocol.Int(fields[4]), WorkerProtocol.Int(fields[5]));
        var cpuBefore = OwnCpu();
        var outcome = await sessions.TypeAsync(window, period, stagger, cancellationToken, index).ConfigureAwait(false);
        var cpu = (OwnCpu() - cpuBefore).TotalSeconds;
        var reply = new StringBuilder(24 * (outcome.Samples.Count + outcome.ClientPauses.Count + 3));
        reply.Append(CultureInfo.InvariantCulture, $"{WorkerProtocol.Typed} {outcome.Unresponsive} {cpu:R} {outcome.ClientPauses.Count}");
        foreach (var pause in outcome.ClientPauses)
        {
            reply.Append(' ').Append(pause.Pause.Format());
        }

        foreach (var sample in outcome.Samples)
        {
            reply.Append(CultureInfo.InvariantCulture, $" {sample.SentUs}:{sample.Ms:R}");
        }

        return reply.ToString();
    }

    private static TimeSpan OwnCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>Copies stdin's lines into <paramref name="commands"/>; at its end (the parent closed it or died) cancels <paramref name="parentGone"/>.</summary>
    private static void ReadCommands(ChannelWriter<string> commands, CancellationTokenSource parentGone)
    {
        using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        try
        {
            while (input.ReadLine() is { } line)
            {
                commands.TryWrite(line);
            }
        }
        catch (IOException)
        {
            // A broken pipe is the parent's end as much as an end of file is.
        }

        commands.TryComplete();
        parentGone.Cancel();
    }

    private static async Task ReplyAsync(StreamWriter replies, string line)
    {
        await replies.WriteLineAsync(line).ConfigureAwait(false);
        await replies.FlushAsync().ConfigureAwait(false);
    }

    private static async Task TryReplyAsync(StreamWriter replies, string line)
    {
        try
        {
            await ReplyAsync(replies, line).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The parent is gone; the log line above is all that can be said.
        }
    }

    private static async Task CloseOnExitAsync(InProcessSessions sessions, TextWriter log)
    {
        try
        {
            await sessions.DisposeAsync().AsTask().WaitAsync(s_closeOnExitTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            log.WriteLine($"its sessions did not close within {s_closeOnExitTimeout.TotalSeconds:F0} s; exiting with them open (their shells hang up with it)");
        }
    }
}
