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
}
