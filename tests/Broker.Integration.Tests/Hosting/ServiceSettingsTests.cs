using Broker.Approvals;
using Broker.Core.Processes;
using Broker.Server.Configuration;
using Broker.Server.Hosting;
using Broker.Server.Recording;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Hosting;

public sealed class ServiceSettingsTests : IDisposable
{
    private readonly string _loaded = Directory.CreateTempSubdirectory("broker-settings-loaded-").FullName;
    private readonly string _replaced = Directory.CreateTempSubdirectory("broker-settings-replaced-").FullName;

    [Fact]
    public async Task Recordings_and_approvals_are_built_from_the_settings_the_container_holds_not_the_ones_passed_to_the_host()
    {
        var (settings, errors) = SettingsLoader.Load(null, dev: true, _loaded, "http://127.0.0.1:0");
        settings.Should().NotBeNull(string.Join("; ", errors));
        var (containment, error, _) = ProcessContainment.Create(ContainmentMode.SessionId);
        containment.Should().NotBeNull(error);
        using var owned = containment!;
        var replaced = settings! with { DataDirectory = _replaced };

        var app = BrokerHost.Build(settings, owned, replaceServices: services => services.AddSingleton(replaced));
        try
        {
            // Each store opens its database when it is built: where the file appears is the settings it was built from.
            app.Services.GetRequiredService<IRecordingIndex>();
            app.Services.GetRequiredService<IApprovalStore>();

            File.Exists(Path.Combine(_replaced, SqliteRecordingIndex.FileName)).Should().BeTrue();
            File.Exists(Path.Combine(_replaced, SqliteApprovalStore.FileName)).Should().BeTrue();
            File.Exists(Path.Combine(_loaded, SqliteRecordingIndex.FileName)).Should().BeFalse();
            File.Exists(Path.Combine(_loaded, SqliteApprovalStore.FileName)).Should().BeFalse();
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    public void Dispose()
    {
        Directory.Delete(_loaded, recursive: true);
        Directory.Delete(_replaced, recursive: true);
    }
}
