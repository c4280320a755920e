using System.CommandLine;
using System.Globalization;
using Recorder;

namespace Replay.Cli;

/// <summary>`replay info PATH`: header, duration, size, counts and verification status of each recording.</summary>
internal sealed class InfoCommand(ReplayConsole console, RecordingLoader loader, VerifyCommand verifier)
{
    /// <summary>Longest header or event field shown; a crafted header could hold megabytes.</summary>
    private const int MaxFieldLength = 1024;

    /// <summary>Roles shown; the rest are counted.</summary>
    private const int MaxRoles = 64;

    public Command Build(Option<string?> publicKey)
    {
        var location = new Argument<string>("recording") { Description = "A recording file or a directory of recordings." };
        var budget = ReadBudgetOption.Create();
        var command = new Command("info", "Show a recording's header, duration, size, event counts and verification status.") { location, publicKey, budget };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!ReadBudgetOption.TryApply(parse, budget, loader, console))
            {
                return ExitCodes.Usage;
            }

            var (sources, exitCode) = await loader.ResolveAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (exitCode != ExitCodes.Success)
            {
                return exitCode;
            }

            var pem = PublicKeyOption.Load(parse.GetValue(publicKey), console, out var keyError);
            var worst = ExitCodes.Success;
            foreach (var source in sources)
            {
                var summary = new RecordingSummary();
                OpenedRecording? read = null;
                var code = await loader.ReadAsync(source, async recording =>
                {
                    await foreach (var recorded in recording.Events.ConfigureAwait(false))
                    {
                        summary.Add(recorded);
                    }

                    read = recording;
                }, cancellationToken).ConfigureAwait(false);
                if (read is null)
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

                    integrity = UntrustedText.Neutralize(result.Detail);
                }

                Print(read, summary, integrity);
            }

            return worst;
        });
        return command;
    }

    private void Print(OpenedRecording recording, RecordingSummary summary, string integrity)
    {
        var header = recording.Header;
        var exit = summary.Exit;
        Line("recording", Field(recording.Source.Name));
        Line("session", Field(header.SessionId));
        Line("subject", $"{Field(header.Subject)} (issuer {Field(header.Issuer)})");
        Line("roles", string.Join(", ", header.Roles.Take(MaxRoles).Select(Field)) + (header.Roles.Count > MaxRoles ? $", {UntrustedText.Ellipsis}(+{header.Roles.Count - MaxRoles} roles)" : ""));
        Line("target", $"{Field(header.Target)} ({Field(header.Kind)})");
        Line("terminal", $"{header.Columns}x{header.Rows} {Field(header.Term)}");
        Line("broker", Field(header.BrokerVersion));
        Line("started", header.StartedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Line("duration", TerminalText.FormatOffset(recording.Duration.Ticks * 100).TrimStart('+') + (recording.Sealed ? "" : " (no seal: incomplete)"));
        Line("size", recording.Source.Length is { } length ? $"{length} bytes on disk, {summary.OutputBytes} bytes of output, {summary.InputBytes} bytes of input" : $"{summary.OutputBytes} bytes of output, {summary.InputBytes} bytes of input");
        Line("events", $"{summary.Events} ({summary.DescribeTypes()})" + (recording.Damage is null ? "" : $" (reading stopped at record {recording.Damage.RecordIndex})"));
        Line("commands", summary.Commands == 0 ? "0" : $"{summary.Commands} ({summary.DescribeDecisions()})");
        Line("exit", exit is null ? "none recorded" : $"{exit.Code}{(exit.Signal != 0 ? $" signal {exit.Signal}" : "")} ({Field(exit.Reason)})");
        Line("integrity", integrity);
        console.WriteLine("");
    }

    /// <summary>A header or event field: neutralized, and cut so that a crafted header cannot flood the screen.</summary>
    private static string Field(string value) => UntrustedText.Neutralize(value, MaxFieldLength);

    private void Line(string name, string value) => console.WriteLine($"{name,-10} {value}");
}
