using Broker.Core.Processes;
using Broker.Identity.Dev;
using Broker.Protocol.V1;
using Broker.Server.Configuration;
using Broker.Server.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>A real broker (Kestrel, h2c) on a free loopback port with the dev configuration and a temporary data directory.</summary>
public class BrokerFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private ProcessContainment? _containment;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "broker-it-" + Guid.NewGuid().ToString("n"));

    public Uri Address { get; private set; } = null!;

    /// <summary>How the broker contains its sessions' processes (a cgroup per session where the host allows it).</summary>
    internal ProcessContainment Containment => _containment ?? throw new InvalidOperationException("the broker has not started");

    public DevIssuer Issuer { get; private set; } = null!;

    /// <summary>The running broker's services.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the broker has not started");

    /// <summary>The policy file the broker loaded, or null for the embedded dev policy.</summary>
    public string? PolicyFile { get; private set; }

    /// <summary>Overrides of the dev policy for tests that need other limits (YAML text), or null.</summary>
    public string? PolicyYaml { get; protected set; }

    /// <summary>Live records buffered per observer before it catches up from the file, or null for the default.</summary>
    public int? AttachBufferEvents { get; protected init; }

    /// <summary>How the broker contains sessions' processes (a cgroup per session where the host allows it, by default).</summary>
    private protected ContainmentMode ContainmentMode { get; init; } = ContainmentMode.Auto;

    /// <summary>The settings the broker runs with.</summary>
    internal BrokerSettings Settings { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        string? config = null;
        if (PolicyYaml is not null)
        {
            Directory.CreateDirectory(DataDirectory);
            config = Path.Combine(DataDirectory, "policy.yaml");
            await File.WriteAllTextAsync(config, PolicyYaml);
            PolicyFile = config;
        }

        var (settings, errors) = SettingsLoader.Load(config, dev: true, DataDirectory, "http://127.0.0.1:0");
        if (settings is null)
        {
            throw new InvalidOperationException(string.Join("\n", errors));
        }

        if (AttachBufferEvents is { } buffer)
        {
            settings = settings with { AttachBufferEvents = buffer };
        }

        settings = Configure(settings);
        Settings = settings;
        Issuer = settings.DevIssuer!;
        var (containment, error, _) = ProcessContainment.Create(ContainmentMode);
        _containment = containment ?? throw new InvalidOperationException(error);
        _app = BrokerHost.Build(settings, _containment, logging => logging.SetMinimumLevel(LogLevel.Warning), ReplaceServices);
        await _app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Address = new Uri(BrokerHost.BoundAddresses(_app).Single());
    }

    /// <summary>Adjusts the loaded settings before the host is built (base credentials, a fake clock).</summary>
    private protected virtual BrokerSettings Configure(BrokerSettings settings) => settings;

    /// <summary>Puts a test's own part in place of one of the broker's (registered after all of them).</summary>
    private protected virtual void ReplaceServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
    }

    public string Token(string subject = "agent-1", params string[] groups) => Issuer.Mint(subject, groups, TimeSpan.FromHours(1));

    public GrpcChannel Channel(string? token)
    {
        var options = new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 };
        if (token is not null)
        {
            options.Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return Task.CompletedTask;
            }));
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }

        return GrpcChannel.ForAddress(Address, options);
    }

    public SessionService.SessionServiceClient Client(string? token) => new(Channel(token));

    public RecordingService.RecordingServiceClient Recordings(string? token) => new(Channel(token));

    /// <summary>Stops the host as SIGTERM does (its shutdown runs), keeping the data directory for the test to read.</summary>
    public async Task StopHostAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public virtual async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await _app.DisposeAsync();
        }

        _containment?.Dispose();

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A test left a file open; the temp directory is cleaned by the OS eventually.
        }
    }
}

/// <summary>The broker with a role that may run anything in a raw terminal, for the tests of session mechanics.</summary>
public sealed class PermissiveBrokerFixture : BrokerFixture
{
    public PermissiveBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
    }
}

/// <summary>The permissive broker told not to use cgroups (<c>--containment session-id</c>), as on hosts without them.</summary>
public sealed class SessionIdBrokerFixture : BrokerFixture
{
    public SessionIdBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
        ContainmentMode = ContainmentMode.SessionId;
    }
}
