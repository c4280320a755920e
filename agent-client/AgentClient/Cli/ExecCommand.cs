using System.CommandLine;
using System.CommandLine.Parsing;
using AgentClient.Connection;
using AgentClient.Terminal;
using Broker.CommandLine;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace AgentClient.Cli;

/// <summary>
/// <c>exec --target T [--json] -- PROGRAM ARGS…</c> or <c>exec --target T --script TEXT</c>. Piped
/// standard input goes to the program. The first Ctrl-C (SIGINT) interrupts the remote program
/// (the exit code is then its own, usually 130); a second one ends the call. A command held for approval waits
/// for its outcome (Ctrl-C withdraws the request), or with <c>--no-wait</c> exits 75 at once with the approval id.
/// </summary>
internal static class ExecCommand
{
    public static Command Create(ClientOptions client, TerminationSignals signals)
    {
        var target = new Option<string>("--target") { Description = "Target to run on", Required = true };
        var script = new Option<string?>("--script") { Description = "Run this text with the target's shell instead of an argv" };
        var json = new Option<bool>("--json") { Description = "Print one JSON event per line instead of raw output" };
        var noWait = new Option<bool>("--no-wait") { Description = "If the command is held for approval, exit 75 at once with the approval id instead of waiting; run it again once approved" };
        var argv = new Argument<string[]>("command") { Description = "Program and arguments (after --)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("exec", "Run one command on a target; the exit code is the remote exit code") { target, script, json, noWait, argv };
        command.SetAction((parse, ct) =>
        {
            var args = parse.GetValue(argv) ?? [];
            if (UnknownOption(parse, args) is { } unknown)
            {
                return Task.FromResult(ExitCodes.Report(ExitCodes.Usage, UsageErrors.WithHelp(parse, $"unknown option '{unknown}': the program and its arguments go after --")));
            }

            var start = new ExecStart { Target = parse.GetValue(target)!, NoWait = parse.GetValue(noWait) };
            if (parse.GetValue(script) is { } text)
            {
                if (args.Length > 0)
                {
                    return Task.FromResult(ExitCodes.Report(ExitCodes.Usage, UsageErrors.WithHelp(parse, "give either --script or a command after --, not both")));
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
                return Task.FromResult(ExitCodes.Report(ExitCodes.Usage, UsageErrors.WithHelp(parse, "no command: give --script TEXT or -- PROGRAM ARGS")));
            }

            return BrokerCall.RunAsync(client, parse, broker => RunAsync(broker, signals, start, parse.GetValue(json), ct), ct);
        });
        return command;
    }

    /// <summary>
    /// The first word of the program's argv that came before <c>--</c> and looks like an option: it
    /// is an option this command does not have (a typo), not a program to run.
    /// </summary>
    private static string? UnknownOption(ParseResult parse, string[] argv)
    {
        var afterDoubleDash = 0;
        var seen = false;
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
            {
                seen = true;
            }
            else if (seen && token.Type == TokenType.Argument)
            {
                afterDoubleDash++;
            }
        }

        var before = argv.Length - Math.Min(afterDoubleDash, argv.Length);
        return argv.Take(before).FirstOrDefault(a => a.Length > 1 && a[0] == '-');
    }

    private static async Task<int> RunAsync(BrokerContext broker, TerminationSignals signals, ExecStart start, bool json, CancellationToken cancellationToken)
    {
        using var call = await broker.Connection.StartExecAsync(new ExecRequest { Start = start }, cancellationToken).ConfigureAwait(false);
        using var writer = new RequestWriter<ExecRequest>(call.RequestStream);
        var interrupted = 0;
        using var interrupts = signals.OfferInterrupts(() =>
        {
            if (Interlocked.Exchange(ref interrupted, 1) != 0)
            {
                return false;
            }

            _ = writer.WriteAsync(new ExecRequest { Signal = Signal.Interrupt }, CancellationToken.None);
            return true;
        });
        var printer = new ExecPrinter(json);
        using var stdinDone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ = SendStdinAsync(writer, stdinDone.Token);
        var exit = -1;
        while (await call.ReadAsync(cancellationToken).ConfigureAwait(false) is { } received)
        {
            using var release = received;
            var frame = received.Message;
            printer.Print(frame);
            if (frame.FrameCase == ExecResponse.FrameOneofCase.Exit)
            {
                // The exit status is the session's last frame, sent once its output is delivered and its recording
                // sealed. The call's trailers come only after the broker has given the session's account back (which
                // may run a cleaner): an agent waiting for its next command need not wait for that.
                exit = frame.Exit.Code;
                break;
            }

            if (frame.FrameCase == ExecResponse.FrameOneofCase.Notice && frame.Notice.Kind == NoticeKind.TokenExpiring && broker.Renewal() is { } fresh)
            {
                // A command may outlive the token it started with (a long deploy, a CI job).
                await writer.WriteAsync(new ExecRequest { RenewToken = new RenewToken { BearerToken = fresh } }, cancellationToken).ConfigureAwait(false);
            }
        }

        // Input the program never read is left unread.
        await stdinDone.CancelAsync().ConfigureAwait(false);
        return exit >= 0 ? exit : ExitCodes.Report(ExitCodes.Failed, "the broker ended the call without an exit status");
    }

    /// <summary>
    /// Sends piped standard input, then end of input (a terminal sends nothing: the program gets end
    /// of input at once). The request stream itself stays open until the command exits, so that a
    /// token renewal or an interrupt can still be sent.
    /// </summary>
    private static async Task SendStdinAsync(RequestWriter<ExecRequest> writer, CancellationToken cancellationToken)
    {
        try
        {
            if (!StandardStreams.InputIsTerminal)
            {
                var stdin = StandardStreams.Input;
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
}
