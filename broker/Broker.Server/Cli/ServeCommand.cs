using System.CommandLine;
using System.Runtime.InteropServices;
using Broker.Core.Processes;
using Broker.Server.Access;
using Broker.Server.Configuration;
using Broker.Server.Hosting;

namespace Broker.Server.Cli;

/// <summary><c>broker serve [--config FILE] [--dev] [--data DIR] [--urls URL] [--token-grace-seconds N] [--recording-retention-days N] [--containment MODE] [--allow-plaintext]</c>; SIGHUP reloads the policy file.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "Policy/configuration file (YAML)" };
        var dev = new Option<bool>("--dev") { Description = "Embedded default: dev token issuer, local shell target 'local', the dev policy, loopback only" };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Data directory (default ./.broker-data)" };
        var urls = new Option<string?>("--urls") { Description = $"Listen URLs, ';'-separated (default {SettingsLoader.DevUrl})" };
        var grace = new Option<int?>("--token-grace-seconds") { Description = "How long a session outlives its caller's expired token without a renewal (default 300)" };
        var retention = new Option<int?>("--recording-retention-days") { Description = "Delete recordings of sessions that started more than this many days ago (default: keep)" };
        var containmentMode = new Option<string>("--containment")
        {
            Description = "How each session's processes are kept together to be killed: 'cgroup' (a cgroup v2 per session; refuse to start without), "
                + "'session-id' (the POSIX session: processes that call setsid escape), or 'auto' (cgroup where allowed, else session-id; the default)",
            DefaultValueFactory = _ => "auto",
        };
        containmentMode.AcceptOnlyFromAmong("auto", "cgroup", "session-id");
        var allowPlaintext = new Option<bool>("--allow-plaintext")
        {
            Description = "Listen without TLS on a non-loopback address (bearer tokens then cross the network in clear); same as server.allow_plaintext: true",
        };
        var command = new Command("serve", "Run the broker") { config, dev, data, urls, grace, retention, containmentMode, allowPlaintext };
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

            if (parse.GetValue(grace) is { } graceSeconds)
            {
                if (graceSeconds < 0)
                {
                    Console.Error.WriteLine("broker: --token-grace-seconds must not be negative");
                    return 2;
                }

                settings = settings with { TokenGracePeriod = TimeSpan.FromSeconds(graceSeconds) };
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

            if (parse.GetValue(allowPlaintext))
            {
                settings = settings with { Server = settings.Server with { AllowPlaintext = true } };
            }

            var (plan, planErrors) = BrokerHost.Plan(settings);
            if (plan is null)
            {
                foreach (var error in planErrors)
                {
                    Console.Error.WriteLine($"broker: {error}");
                }

                return 2;
            }

            var mode = parse.GetValue(containmentMode) switch
            {
                "cgroup" => ContainmentMode.Cgroup,
                "session-id" => ContainmentMode.SessionId,
                _ => ContainmentMode.Auto,
            };
            var (containment, containmentError, fallback) = ProcessContainment.Create(mode);
            if (containment is null)
            {
                Console.Error.WriteLine($"broker: {containmentError}");
                return 2;
            }

            if (fallback is not null)
            {
                Console.Error.WriteLine($"broker: no cgroup per session ({fallback}); processes that call setsid can outlive their session");
            }

            using var ownedContainment = containment;
            await using var app = BrokerHost.Build(settings, containment);
            await app.StartAsync(ct).ConfigureAwait(false);
            using var reload = settings.ConfigFile is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                // SIGHUP would end the process by default; here it means "reload the policy file".
                signal.Cancel = true;
                var reloader = app.Services.GetRequiredService<PolicyReloader>();
                _ = Task.Run(reloader.Reload, CancellationToken.None);
            });
            Console.Error.WriteLine($"broker: listening on {string.Join(", ", BrokerHost.BoundAddresses(app))}; data in {dataDirectory}; processes contained by {containment.Description}");
            Console.Error.WriteLine($"broker: {plan.Budget.Describe()}");
            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
