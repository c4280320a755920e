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

    public static async Task<ExecResult> RunAsync(SessionService.SessionServiceClient client, ExecStart start, byte[]? stdin)
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

        var sending = SendStdinAsync(call.RequestStream, stdin, cts.Token);
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
                case ExecResponse.FrameOneofCase.Stdout: stdout.Write(frame.Stdout.Span); break;
                case ExecResponse.FrameOneofCase.Stderr: stderr.Write(frame.Stderr.Span); break;
                case ExecResponse.FrameOneofCase.Notice: notices.Add(frame.Notice); break;
                case ExecResponse.FrameOneofCase.Exit: exit = frame.Exit; break;
            }
        }

        await sending;
        return new ExecResult(sessionId, stdout.ToArray(), stderr.ToArray(), exit, notices);
    }

    private static async Task SendStdinAsync(IClientStreamWriter<ExecRequest> requests, byte[]? stdin, CancellationToken cancellationToken)
    {
        try
        {
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
