using System.CommandLine;
using System.Globalization;
using Recorder;

namespace Replay.Cli;

/// <summary>`replay info PATH`: header, duration, size, counts and verification status of each recording.</summary>
internal sealed class InfoCommand(ReplayConsole console, RecordingLoader loader, VerifyCommand verifier)
{
    public Command Build(Option<string?> publicKey)
    {
        var location = new Argument<string>("recording") { Description = "A recording file or a directory of recordings." };
        var command = new Command("info", "Show a recording's header, duration, size, event counts and verification status.") { location, publicKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (sources, exitCode) = await loader.ResolveAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (exitCode != ExitCodes.Success)
            {
                return exitCode;
            }

            var pem = PublicKeyOption.Load(parse.GetValue(publicKey), console, out var keyError);
            var worst = ExitCodes.Success;
            foreach (var source in sources)
            {
                var (recording, code) = await loader.LoadAsync(source, cancellationToken).ConfigureAwait(false);
                if (recording is null)
                {
                    worst = Math.Max(worst, code);
                    continue;
                }

                var integrity = $"not verified ({keyError})";
                if (pem is not null)
                {
                    var (result, verifyCode) = await verifier.VerifyAsync(source, pem, cancellationToken).ConfigureAwait(false);
                    if (result is null)
                    {
                        return verifyCode;
                    }

                    integrity = result.Detail;
                }

                Print(recording, integrity);
            }

            return worst;
        });
        return command;
    }

    private void Print(LoadedRecording recording, string integrity)
    {
        var header = recording.Header;
        var events = recording.Events;
        var commands = recording.Commands.ToList();
        var output = events.OfType<OutputEvent>().Sum(e => (long)e.Data.Length);
        var input = events.OfType<InputEvent>().Sum(e => (long)e.Data.Length);
        var decisions = commands.GroupBy(c => c.Command.Decision, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        var exit = events.OfType<ExitEvent>().LastOrDefault();
        var counts = events.GroupBy(e => e.GetType().Name.Replace("Event", "", StringComparison.Ordinal).ToLowerInvariant(), StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Count()}");
        Line("recording", recording.Source.Name);
        Line("session", header.SessionId);
        Line("subject", $"{header.Subject} (issuer {header.Issuer})");
        Line("roles", string.Join(", ", header.Roles));
        Line("target", $"{header.Target} ({header.Kind})");
        Line("terminal", $"{header.Columns}x{header.Rows} {header.Term}");
        Line("broker", header.BrokerVersion);
        Line("started", header.StartedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Line("duration", TerminalText.FormatOffset(recording.Duration.Ticks * 100).TrimStart('+') + (recording.Sealed ? "" : " (no seal: incomplete)"));
        Line("size", recording.Source.Length is { } length ? $"{length} bytes on disk, {output} bytes of output, {input} bytes of input" : $"{output} bytes of output, {input} bytes of input");
        Line("events", $"{events.Count} ({string.Join(", ", counts)})");
        Line("commands", commands.Count == 0 ? "0" : $"{commands.Count} ({string.Join(", ", decisions)})");
        Line("exit", exit is null ? "none recorded" : $"{exit.Code}{(exit.Signal != 0 ? $" signal {exit.Signal}" : "")} ({exit.Reason})");
        Line("integrity", integrity);
        console.WriteLine("");
    }

    private void Line(string name, string value) => console.WriteLine($"{name,-10} {value}");
}
