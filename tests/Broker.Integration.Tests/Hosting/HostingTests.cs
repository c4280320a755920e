using Broker.Integration.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Broker.Integration.Tests.Hosting;

public sealed class HostingTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _broker;

    public HostingTests(BrokerFixture broker) => _broker = broker;

    [Fact]
    public void The_host_watches_no_files_and_does_not_root_itself_in_the_working_directory()
    {
        // A recursive watcher on the working directory made a broker started from / walk the whole
        // file system before it listened, and woke it for every file written below it.
        var environment = _broker.Services.GetRequiredService<IHostEnvironment>();
        environment.ContentRootPath.Should().Be(AppContext.BaseDirectory);

        var configuration = (IConfigurationRoot)_broker.Services.GetRequiredService<IConfiguration>();
        configuration.Providers.OfType<FileConfigurationProvider>()
            .Should().OnlyContain(p => !p.Source.ReloadOnChange, "nothing reloads configuration files");
    }

    [Fact]
    public void Authentication_brings_no_key_ring_that_would_write_to_the_service_accounts_home()
    {
        // AddAuthentication registers data protection, which keeps keys under ~/.aspnet; bearer tokens need none.
        _broker.Services.GetService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>().Should().BeNull();
    }
}
