using System.CommandLine;
using System.Text;
using System.Text.Json;
using AgentClient.Connection;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Recorder;

namespace AgentClient.Cli;

/// <summary><c>exec --target T [--json] -- PROGRAM ARGS…</c> or <c>exec --target T --script TEXT</c>.</summary>
internal static class ExecCommand
{
    public static Command Create(ClientOptions client)
    {
        var target = new Option<string>("--target") { Description = "Target to run on", Required = true };
        var script = new Option<string?>("--script") { Description = "Run this text with the target's shell instead of an argv" };
        var json = new Option<bool>("--json") { Description = "Print one JSON event per line instead of raw output" };
        var argv = new Argument<string[]>("command") { Description = "Program and arguments (after --)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("exec", "Run one command on a target; the exit code is the remote exit code") { target, script, json, argv };
        command.SetAction((parse, ct) =>
        {
            var (broker, token, problem) = client.Resolve(parse);
            if (problem is not null)
            {
                return Task.FromResult(ExitCodes.Report(ExitCodes.Usage, problem));
            }

            var start = new ExecStart { Target = parse.GetValue(target)! };
            var args = parse.GetValue(argv) ?? [];
            if (parse.GetValue(script) is { } text)
            {
                if (args.Length > 0)
                {
                    return Task.FromResult(ExitCodes.Report(ExitCodes.Usage, "give either --script or a command after --, not both"));
                }

                start.Script = text;
            }
            else if (args.Length > 0)
            {
                start.Argv = new Argv();
                start.Argv.Args.AddRange(args);
            }
            else
            {
                return Task.FromResult(ExitCodes.Report(ExitCodes.Usage, "no command: give --script TEXT or -- PROGRAM ARGS"));
            }

            return RunAsync(broker!, token!, client.Renewal(parse), start, parse.GetValue(json), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(Uri broker, string token, Func<string?> renewal, ExecStart start, bool json, CancellationToken cancellationToken)
    {
        using var connection = BrokerConnection.Open(broker, token);
        var client = new SessionService.SessionServiceClient(connection.Channel);
        using var call = client.Exec(cancellationToken: cancellationToken);
        using var writer = new RequestWriter<ExecRequest>(call.RequestStream);
        var printer = new ExecPrinter(json);
        try
        {
            await FirstFrame.SendAsync(call.RequestStream, new ExecRequest { Start = start }, cancellationToken).ConfigureAwait(false);
            var stdin = SendStdinAsync(writer, cancellationToken);
            var exit = -1;
            await foreach (var frame in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                printer.Print(frame);
                switch (frame.FrameCase)
                {
                    case ExecResponse.FrameOneofCase.Notice when frame.Notice.Kind == NoticeKind.TokenExpiring && renewal() is { } fresh:
                        // A command may outlive the token it started with (a long deploy, a CI job).
                        await writer.WriteAsync(new ExecRequest { RenewToken = new RenewToken { BearerToken = fresh } }, cancellationToken).ConfigureAwait(false);
                        break;
                    case ExecResponse.FrameOneofCase.Exit:
                        exit = frame.Exit.Code;
                        break;
                }
            }

            _ = stdin;
            return exit >= 0 ? exit : ExitCodes.Report(ExitCodes.Failed, "the broker ended the call without an exit status");
        }
        catch (RpcException ex)
        {
            return ExitCodes.Report(ex);
        }
    }

    /// <summary>
    /// Sends stdin, then end of input. The request stream itself stays open until the command
    /// exits, so that a token renewal can still be sent.
    /// </summary>
    private static async Task SendStdinAsync(RequestWriter<ExecRequest> writer, CancellationToken cancellationToken)
    {
        try
        {
            if (Console.IsInputRedirected)
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[32 * 1024];
                int n;
                while ((n = await stdin.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (!await writer.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFrom(buffer, 0, n) }, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }

            await writer.WriteAsync(new ExecRequest { EndOfInput = new EndOfInput() }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The command finished before reading all of its input; that is its choice.
        }
    }

    /// <summary>Writes frames as raw bytes, or as JSON lines for programs.</summary>
    private sealed class ExecPrinter(bool json)
    {
        private readonly Stream _stdout = Console.OpenStandardOutput();
        private readonly Stream _stderr = Console.OpenStandardError();

        public void Print(ExecResponse frame)
        {
            if (json)
            {
                PrintJson(frame);
                return;
            }

            switch (frame.FrameCase)
            {
                case ExecResponse.FrameOneofCase.Stdout:
                    _stdout.Write(frame.Stdout.Span);
                    _stdout.Flush();
                    break;
                case ExecResponse.FrameOneofCase.Stderr:
                    _stderr.Write(frame.Stderr.Span);
                    _stderr.Flush();
                    break;
                case ExecResponse.FrameOneofCase.Notice:
                    Console.Error.WriteLine($"agent-client: notice: {UntrustedText.Neutralize(frame.Notice.Message)}");
                    break;
            }
        }

        private void PrintJson(ExecResponse frame)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                switch (frame.FrameCase)
                {
                    case ExecResponse.FrameOneofCase.Opened:
                        writer.WriteString("type", "opened");
                        writer.WriteString("session_id", frame.Opened.SessionId);
                        writer.WriteString("target", frame.Opened.Target);
                        writer.WriteStartArray("roles");
                        foreach (var role in frame.Opened.Roles)
                        {
                            writer.WriteStringValue(role);
                        }

                        writer.WriteEndArray();
                        break;
                    case ExecResponse.FrameOneofCase.Stdout:
                        WriteData(writer, "stdout", frame.Stdout);
                        break;
                    case ExecResponse.FrameOneofCase.Stderr:
                        WriteData(writer, "stderr", frame.Stderr);
                        break;
                    case ExecResponse.FrameOneofCase.Notice:
                        writer.WriteString("type", "notice");
                        writer.WriteString("kind", frame.Notice.Kind.ToString());
                        writer.WriteString("message", frame.Notice.Message);
                        break;
                    case ExecResponse.FrameOneofCase.Decision:
                        writer.WriteString("type", "decision");
                        writer.WriteString("verdict", frame.Decision.Verdict switch
                        {
                            Verdict.Allow => "allow",
                            Verdict.Review => "review",
                            _ => "deny",
                        });
                        writer.WriteString("rule", frame.Decision.Rule);
                        writer.WriteString("reason", frame.Decision.Reason);
                        break;
                    case ExecResponse.FrameOneofCase.Exit:
                        writer.WriteString("type", "exit");
                        writer.WriteNumber("code", frame.Exit.Code);
                        writer.WriteNumber("signal", frame.Exit.SignalNumber);
                        writer.WriteString("reason", frame.Exit.Reason.ToString());
                        break;
                }

                writer.WriteEndObject();
            }

            buffer.WriteByte((byte)'\n');
            _stdout.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            _stdout.Flush();
        }

        private static void WriteData(Utf8JsonWriter writer, string type, ByteString data)
        {
            writer.WriteString("type", type);
            // Output is not always UTF-8; bytes that are not are sent as base64 so nothing is lost.
            if (IsUtf8(data.Span))
            {
                writer.WriteString("data", Encoding.UTF8.GetString(data.Span));
            }
            else
            {
                writer.WriteBase64String("data_base64", data.Span);
            }
        }

        private static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
    }
}
