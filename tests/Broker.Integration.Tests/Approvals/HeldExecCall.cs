using System.Text;
using Broker.Protocol.V1;
using Grpc.Core;

namespace Broker.Integration.Tests.Approvals;

/// <summary>How an exec call that may be held ended: every decision frame in order, the held frame, output and exit.</summary>
internal sealed record HeldExecOutcome(IReadOnlyList<CommandDecision> Decisions, CommandHeld? Held, string Stdout, string Stderr, ExitStatus? Exit);

/// <summary>
/// An exec call read in the background, so a test can act (approve, deny, advance a clock, cancel) once the broker
/// says the command is held, then await how the call ended.
/// </summary>
internal sealed class HeldExecCall : IDisposable
{
    private readonly AsyncDuplexStreamingCall<ExecRequest, ExecResponse> _call;
    private readonly CancellationTokenSource _cancel;
    private readonly TaskCompletionSource<CommandHeld> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HeldExecCall(SessionService.SessionServiceClient client, CancellationToken cancellationToken)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _call = client.Exec(cancellationToken: _cancel.Token);
    }

    /// <summary>Completes with the held frame; fails when the call ends without one.</summary>
    public Task<CommandHeld> Held => _held.Task;

    /// <summary>The call's end.</summary>
    public Task<HeldExecOutcome> Completion { get; private set; } = null!;

    /// <summary>Starts <paramref name="argv"/> on <paramref name="target"/> (with <paramref name="noWait"/>: return mode); standard input is <paramref name="stdin"/>, then its end.</summary>
    public static async Task<HeldExecCall> StartAsync(SessionService.SessionServiceClient client, string[] argv, bool noWait, string? stdin, CancellationToken cancellationToken, string target = "local")
    {
        var call = new HeldExecCall(client, cancellationToken);
        var start = new ExecStart { Target = target, Argv = new Argv(), NoWait = noWait };
        start.Argv.Args.AddRange(argv);
        await call._call.RequestStream.WriteAsync(new ExecRequest { Start = start }, cancellationToken);
        try
        {
            if (stdin is not null)
            {
                await call._call.RequestStream.WriteAsync(new ExecRequest { Stdin = Google.Protobuf.ByteString.CopyFromUtf8(stdin) }, cancellationToken);
            }

            await call._call.RequestStream.WriteAsync(new ExecRequest { EndOfInput = new EndOfInput() }, cancellationToken);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // The broker may end the call before it reads the input (return mode answers at once with 75, a refusal
            // with 126): the call's own frames, read below, say how it ended.
        }

        call.Completion = call.ReadAsync();
        return call;
    }

    /// <summary>Runs <paramref name="argv"/> to its end.</summary>
    public static async Task<HeldExecOutcome> RunAsync(SessionService.SessionServiceClient client, string[] argv, bool noWait, CancellationToken cancellationToken)
    {
        using var call = await StartAsync(client, argv, noWait, null, cancellationToken);
        return await call.Completion;
    }

    /// <summary>The client leaves (cancels the call).</summary>
    public Task CancelAsync() => _cancel.CancelAsync();

    public void Dispose()
    {
        _call.Dispose();
        _cancel.Dispose();
    }

    private async Task<HeldExecOutcome> ReadAsync()
    {
        var decisions = new List<CommandDecision>();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        ExitStatus? exit = null;
        CommandHeld? held = null;
        try
        {
            await foreach (var frame in _call.ResponseStream.ReadAllAsync(_cancel.Token))
            {
                switch (frame.FrameCase)
                {
                    case ExecResponse.FrameOneofCase.Decision: decisions.Add(frame.Decision); break;
                    case ExecResponse.FrameOneofCase.Held:
                        held = frame.Held;
                        _held.TrySetResult(held);
                        break;
                    case ExecResponse.FrameOneofCase.Stdout: stdout.Append(frame.Stdout.ToStringUtf8()); break;
                    case ExecResponse.FrameOneofCase.Stderr: stderr.Append(frame.Stderr.ToStringUtf8()); break;
                    case ExecResponse.FrameOneofCase.Exit: exit = frame.Exit; break;
                }
            }
        }
        finally
        {
            _held.TrySetException(new InvalidOperationException($"the call ended without a held frame (stderr: {stderr})"));
        }

        return new HeldExecOutcome(decisions, held, stdout.ToString(), stderr.ToString(), exit);
    }
}
