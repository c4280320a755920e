using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Broker.Core.Processes;
using Broker.DevServices.Local;
using Broker.Server.Access;
using Broker.Server.Configuration;
using Broker.Server.Hosting;
using Broker.Server.Replicas;

namespace Broker.Server.Cli;

/// <summary><c>broker serve [--config FILE] [--dev] [--data DIR] [--urls URL] [--token-grace-seconds N] [--recording-retention-days N] [--containment MODE] [--allow-plaintext]</c>; SIGHUP reloads the policy file.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "Policy/configuration file (YAML)" };
        var dev = new Option<bool>("--dev") { Description = "Embedded default: dev token issuer, local shell target 'local', emulated SSM target 'ssm-local', the dev policy, loopback only" };
        var data = DataDirectory.CreateOption("Data directory (default ./.broker-data)");
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
            // Whatever the broker creates (recordings, the index, keys) is its own: the data directory is never
            // readable by the accounts sessions run as, even where a file is made without an explicit mode.
            Broker.Core.Native.FileOwnership.SetCreationMask(Convert.ToUInt32("077", 8));
            var dataDirectory = DataDirectory.Resolve(parse.GetValue(data));
            await using var devAws = parse.GetValue(dev) && parse.GetValue(config) is null ? await StartDevAwsAsync(ct).ConfigureAwait(false) : null;
            var (settings, errors) = SettingsLoader.Load(parse.GetValue(config)?.FullName, parse.GetValue(dev), dataDirectory, parse.GetValue(urls), devAws: devAws);
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

            if (ListenAddresses.FindProblem(settings.Urls) is { } listenProblem)
            {
                Console.Error.WriteLine($"broker: {listenProblem}");
                return ExitCodes.CannotListen;
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

            foreach (var (text, warning) in settings.StartupNotes)
            {
                Console.Error.WriteLine(warning ? $"broker: WARNING: {text}" : $"broker: {text}");
            }

            Console.Error.WriteLine(KernelSettings.RefusesTiocsti
                ? "broker: TIOCSTI is refused by the kernel (dev.tty.legacy_tiocsti = 0) and by each session's seccomp filter"
                : "broker: TIOCSTI is refused in sessions by their seccomp filter; the host still allows it elsewhere (set dev.tty.legacy_tiocsti = 0 to refuse it everywhere)");
            using var ownedContainment = containment;
            if (settings.Server.Store.Postgres is { } store)
            {
                var (instance, instanceError) = ReplicaInstance.For(dataDirectory);
                if (instance is null)
                {
                    Console.Error.WriteLine($"broker: {instanceError}");
                    return ExitCodes.ReplicaIdInUse;
                }

                var (storeExit, storeLine) = await StoreMigration.RunAsync(store, ReplicaIdentity.From(settings.Server.Replica, instance), ct).ConfigureAwait(false);
                Console.Error.WriteLine($"broker: {storeLine}");
                if (storeExit != ExitCodes.Success)
                {
                    return storeExit;
                }
            }

            await using var app = BrokerHost.Build(settings, containment);
            try
            {
                await app.StartAsync(ct).ConfigureAwait(false);
            }
            catch (IOException e) when (e.InnerException is SocketException or Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                // Another program took the address between the check above and now.
                Console.Error.WriteLine($"broker: {e.Message}");
                return ExitCodes.CannotListen;
            }

            // Created now, so that it remembers the file as it was loaded (a later in-place edit is told apart).
            var reloader = app.Services.GetRequiredService<PolicyReloader>();
            var hangupIgnored = ReloadSignal.IgnoredAtStart();
            using var reload = settings.ConfigFile is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                // SIGHUP would end the process by default; here it means "reload the policy file".
                signal.Cancel = true;
                _ = Task.Run(reloader.Reload, CancellationToken.None);
            });
            Console.Error.WriteLine($"broker: listening on {string.Join(", ", BrokerHost.BoundAddresses(app))}; data in {dataDirectory}; processes contained by {containment.Description}");
            Console.Error.WriteLine(ReloadSignal.Describe(settings.ConfigFile, Environment.ProcessId, reloader.LoadedSha256, hangupIgnored));
            Console.Error.WriteLine($"broker: {plan.Budget.Describe()}");
            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The emulated SSM and STS behind the dev policy's <c>ssm-local</c>. Without them the broker still serves: the
    /// target's placeholder endpoints reach nothing, so its sessions are refused (never opened elsewhere).
    /// </summary>
    private static async Task<DevAwsServices?> StartDevAwsAsync(CancellationToken cancellationToken)
    {
        var (services, error) = await DevAwsServices.StartAsync(cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            Console.Error.WriteLine($"broker: WARNING: target 'ssm-local' cannot open sessions: {error}");
        }

        return services;
    }
}
