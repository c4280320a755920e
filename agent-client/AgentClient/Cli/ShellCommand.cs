using System.CommandLine;
using System.Runtime.InteropServices;
using AgentClient.Connection;
using AgentClient.Terminal;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Recorder;

namespace AgentClient.Cli;

/// <summary><c>shell --target T</c>: an interactive terminal session.</summary>
internal static class ShellCommand
{
    public static Command Create(ClientOptions client)
    {
        var target = new Option<string>("--target") { Description = "Target to open", Required = true };
        var command = new Command("shell", "Open an interactive terminal on a target") { target };
        command.SetAction((parse, ct) =>
        {
            var (broker, token, problem) = client.Resolve(parse);
            return problem is not null
                ? Task.FromResult(ExitCodes.Report(ExitCodes.Usage, problem))
                : RunAsync(broker!, token!, client.Renewal(parse), parse.GetValue(target)!, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(Uri broker, string token, Func<string?> renewal, string target, CancellationToken cancellationToken)
    {
        using var connection = BrokerConnection.Open(broker, token);
        var client = new SessionService.SessionServiceClient(connection.Channel);
        using var call = client.Interact(cancellationToken: cancellationToken);
        using var writer = new RequestWriter<InteractRequest>(call.RequestStream);
        var (columns, rows) = TerminalSize();
        var open = new OpenTerminal
        {
            Target = target,
            Size = new TerminalSize { Columns = (uint)columns, Rows = (uint)rows },
            Term = Environment.GetEnvironmentVariable("TERM") ?? "xterm-256color",
        };
        RawTerminal? raw = null;
        try
        {
            await FirstFrame.SendAsync(call.RequestStream, new InteractRequest { Open = open }, cancellationToken).ConfigureAwait(false);
            using var resize = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, (PosixSignalContext context) =>
            {
                var (c, r) = TerminalSize();
                _ = writer.WriteAsync(new InteractRequest { Resize = new TerminalSize { Columns = (uint)c, Rows = (uint)r } }, cancellationToken);
                context.Cancel = true;
            });
            var stdout = Console.OpenStandardOutput();
            var exit = -1;
            await foreach (var frame in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (frame.FrameCase)
                {
                    case InteractResponse.FrameOneofCase.Opened:
                        raw = RawTerminal.Enter();
                        _ = PumpInputAsync(writer, cancellationToken);
                        break;
                    case InteractResponse.FrameOneofCase.Output:
                        stdout.Write(frame.Output.Span);
                        stdout.Flush();
                        break;
                    case InteractResponse.FrameOneofCase.Notice:
                        Console.Error.Write($"\r\n[broker] {UntrustedText.Neutralize(frame.Notice.Message)}\r\n");
                        if (frame.Notice.Kind == NoticeKind.TokenExpiring && renewal() is { } fresh)
                        {
                            await writer.WriteAsync(new InteractRequest { RenewToken = new RenewToken { BearerToken = fresh } }, cancellationToken).ConfigureAwait(false);
                        }

                        break;
                    case InteractResponse.FrameOneofCase.Exit:
                        exit = frame.Exit.Code;
                        break;
                }
            }

            raw?.Dispose();
            return exit >= 0 ? exit : ExitCodes.Report(ExitCodes.Failed, "the broker ended the session without an exit status");
        }
        catch (RpcException ex)
        {
            raw?.Dispose();
            return ExitCodes.Report(ex);
        }
        finally
        {
            raw?.Dispose();
        }
    }

    private static async Task PumpInputAsync(RequestWriter<InteractRequest> writer, CancellationToken cancellationToken)
    {
        try
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await stdin.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (!await writer.WriteAsync(new InteractRequest { Input = ByteString.CopyFrom(buffer, 0, n) }, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            await writer.WriteAsync(new InteractRequest { EndOfInput = new EndOfInput() }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or OperationCanceledException or IOException)
        {
            // The session ended while we were still reading the keyboard.
        }
    }

    private static (int Columns, int Rows) TerminalSize()
    {
        try
        {
            if (!Console.IsOutputRedirected && Console.WindowWidth > 0 && Console.WindowHeight > 0)
            {
                return (Console.WindowWidth, Console.WindowHeight);
            }
        }
        catch (IOException)
        {
            // Not a terminal after all.
        }

        return (80, 24);
    }
}
