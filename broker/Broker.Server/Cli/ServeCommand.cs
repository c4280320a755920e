using System.CommandLine;
using Broker.Server.Configuration;
using Broker.Server.Hosting;

namespace Broker.Server.Cli;

/// <summary><c>broker serve [--config FILE] [--dev] [--data DIR] [--urls URL] [--recording-retention-days N]</c>.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "Policy/configuration file (YAML)" };
        var dev = new Option<bool>("--dev") { Description = "Embedded default: dev token issuer, local shell target 'local', the dev policy, loopback only" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Data directory (default ./.broker-data)" };
        var urls = new Option<string?>("--urls") { Description = $"Listen URLs, ';'-separated (default {SettingsLoader.DevUrl})" };
        var retention = new Option<int?>("--recording-retention-days") { Description = "Delete recordings of sessions that started more than this many days ago (default: keep)" };
        var command = new Command("serve", "Run the broker") { config, dev, data, urls, retention };
        command.SetAction(async (parse, ct) =>
        {
            var dataDirectory = parse.GetValue(data)?.FullName ?? Path.GetFullPath(".broker-data");
            var (settings, errors) = SettingsLoader.Load(parse.GetValue(config)?.FullName, parse.GetValue(dev), dataDirectory, parse.GetValue(urls));
            if (settings is null)
            {
                foreach (var error in errors)
                {
                    Console.Error.WriteLine($"broker: {error}");
                }

                return 2;
            }

            if (parse.GetValue(retention) is { } days)
            {
                if (days < 1)
                {
                    Console.Error.WriteLine("broker: --recording-retention-days must be at least 1");
                    return 2;
                }

                settings = settings with { RecordingRetention = TimeSpan.FromDays(days) };
            }

            await using var app = BrokerHost.Build(settings);
            await app.StartAsync(ct).ConfigureAwait(false);
            Console.Error.WriteLine($"broker: listening on {string.Join(", ", BrokerHost.BoundAddresses(app))}; data in {dataDirectory}");
            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
