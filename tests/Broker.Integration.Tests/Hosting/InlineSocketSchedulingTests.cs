using Broker.Integration.Tests.Fixtures;
using Broker.Server.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Broker.Integration.Tests.Hosting;

/// <summary>
/// The runtime switch <c>Broker.Server.InlineSocketScheduling</c> (docs/operations.md, "Runtime settings") reaches
/// Kestrel, and a broker running with it still serves a terminal session: typed input, its output, a stream of output
/// and the exit all go through the socket threads without a thread-pool hop.
/// </summary>
public sealed class InlineSocketSchedulingTests
{
    [Fact]
    public async Task With_the_switch_on_Kestrel_schedules_inline_and_a_terminal_session_still_echoes_streams_and_exits()
    {
        AppContext.SetSwitch(SocketScheduling.InlineSwitch, true);
        var broker = new PermissiveBrokerFixture();
        try
        {
            await broker.InitializeAsync();
            broker.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling.Should().BeTrue();

            await using var terminal = await TerminalClient.OpenAsync(broker.Client(broker.Token()));
            await terminal.SendAsync("seq 1 30000; echo done-$((6*7))\r");
            await terminal.WaitForOutputAsync("done-42");
            terminal.Output.Should().Contain("\r\n15000\r\n").And.Contain("\r\n29999\r\n30000\r\n", "the stream came back whole and in order");
            await terminal.SendAsync("exit 3\r");
            await terminal.WaitForExitAsync();
            terminal.Exit!.Code.Should().Be(3);
        }
        finally
        {
            AppContext.SetSwitch(SocketScheduling.InlineSwitch, false);
            await broker.DisposeAsync();
        }
    }
}
