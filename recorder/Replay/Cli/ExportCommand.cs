using System.CommandLine;
using Recorder;

namespace Replay.Cli;

/// <summary>`replay export PATH --format F [--output FILE]`.</summary>
internal sealed class ExportCommand(ReplayConsole console, RecordingLoader loader)
{
    public Command Build()
    {
        var location = new Argument<string>("recording") { Description = "A recording file." };
        var format = new Option<string>("--format", "-f") { Description = "asciicast-v2, asciicast-v3 or text.", Required = true };
        format.AcceptOnlyFromAmong("asciicast-v2", "asciicast-v3", "text");
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output." };
        var passEscapes = PassEscapesOption.Create();
        var budget = ReadBudgetOption.Create();
        var command = new Command("export", "Convert a recording to asciicast v2/v3 (with resizes, markers for commands and decisions, exit) or text.") { location, format, output, passEscapes, budget };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!ReadBudgetOption.TryApply(parse, budget, loader, console))
            {
                return ExitCodes.Usage;
            }

            var (source, exitCode) = await loader.ResolveOneAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (source is null)
            {
                return exitCode;
            }

            var exportFormat = parse.GetRequiredValue(format) switch
            {
                "asciicast-v2" => ExportFormat.AsciicastV2,
                "asciicast-v3" => ExportFormat.AsciicastV3,
                _ => ExportFormat.Text,
            };
            var path = parse.GetValue(output);
            try
            {
                var input = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using (input.ConfigureAwait(false))
                {
                    using var reader = RecordingReader.Open(input, loader.ReaderOptions);
                    var pass = parse.GetValue(passEscapes);
                    if (path is null)
                    {
                        await RecordingExporter.ExportAsync(reader, exportFormat, console.Output, pass, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
                        await using (file.ConfigureAwait(false))
                        {
                            await RecordingExporter.ExportAsync(reader, exportFormat, file, pass, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    loader.WarnIfDamaged(source, reader);
                    return ExitCodes.Success;
                }
            }
            catch (RecordingFormatException e)
            {
                return console.Fail(ExitCodes.NotARecording, $"{source.Name}: {UntrustedText.Neutralize(e.Message, 512)}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return console.Fail(ExitCodes.OutputFailed, $"export failed: {e.Message}");
            }
        });
        return command;
    }
}
