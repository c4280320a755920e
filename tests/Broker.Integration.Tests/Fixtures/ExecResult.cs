using System.Text;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>Everything an exec call returned.</summary>
public sealed record ExecResult(string SessionId, byte[] Stdout, byte[] Stderr, ExitStatus? Exit, IReadOnlyList<Notice> Notices)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public string StderrText => Encoding.UTF8.GetString(Stderr);

    public static Task<ExecResult> RunScriptAsync(SessionService.SessionServiceClient client, string script, byte[]? stdin = null, string target = "local") =>
        RunAsync(client, new ExecStart { Target = target, Script = script }, stdin);

    public static Task<ExecResult> RunArgvAsync(SessionService.SessionServiceClient client, params string[] argv)
    {
        var start = new ExecStart { Target = "local", Argv = new Argv() };
        start.Argv.Args.AddRange(argv);
        return RunAsync(client, start, null);
    }

    /// <summary>
    /// Runs <paramref name="start"/>; with <paramref name="answer"/>, its input is sent only once the agent has
    /// received <c>Seen</c> on stdout, so a script can wait (<c>read</c>) for the agent to have seen its output.
    /// </summary>
    public static async Task<ExecResult> RunAsync(SessionService.SessionServiceClient client, ExecStart start, byte[]? stdin, (string Seen, byte[] Input)? answer = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var call = client.Exec(cancellationToken: cts.Token);
        try
        {
            await call.RequestStream.WriteAsync(new ExecRequest { Start = start }, cts.Token);
        }
        catch (RpcException)
        {
            // Refused at once (a bad token): the write can fail with CANCELLED while the call's real
            // status arrives on the response, which the read below throws.
        }

        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = SendStdinAsync(call.RequestStream, answer is { } a ? AnswerAsync(seen.Task, a.Input) : Task.FromResult(stdin), cts.Token);
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var notices = new List<Notice>();
        ExitStatus? exit = null;
        var sessionId = string.Empty;
        await foreach (var frame in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            switch (frame.FrameCase)
            {
                case ExecResponse.FrameOneofCase.Opened: sessionId = frame.Opened.SessionId; break;
                case ExecResponse.FrameOneofCase.Stdout:
                    stdout.Write(frame.Stdout.Span);
                    if (answer is { } expected && Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length).Contains(expected.Seen, StringComparison.Ordinal))
                    {
                        seen.TrySetResult();
                    }

                    break;
                case ExecResponse.FrameOneofCase.Stderr: stderr.Write(frame.Stderr.Span); break;
                case ExecResponse.FrameOneofCase.Notice: notices.Add(frame.Notice); break;
                case ExecResponse.FrameOneofCase.Exit: exit = frame.Exit; break;
            }
        }

        seen.TrySetResult();
        await sending;
        return new ExecResult(sessionId, stdout.ToArray(), stderr.ToArray(), exit, notices);
    }

    private static async Task<byte[]?> AnswerAsync(Task seen, byte[] input)
    {
        await seen;
        return input;
    }

    private static async Task SendStdinAsync(IClientStreamWriter<ExecRequest> requests, Task<byte[]?> input, CancellationToken cancellationToken)
    {
        try
        {
            var stdin = await input.WaitAsync(cancellationToken);
            if (stdin is not null)
            {
                for (var offset = 0; offset < stdin.Length; offset += 32 * 1024)
                {
                    var n = Math.Min(32 * 1024, stdin.Length - offset);
                    await requests.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFrom(stdin, offset, n) }, cancellationToken);
                }
            }

            await requests.WriteAsync(new ExecRequest { EndOfInput = new EndOfInput() }, cancellationToken);
            await requests.CompleteAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or RpcException)
        {
            // The call finished before all input was sent (the command did not need it).
        }
    }
}
