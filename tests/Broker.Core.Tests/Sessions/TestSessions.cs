using Broker.Core.Native;
using Broker.Core.Processes;
using Broker.Core.Sessions;
using Broker.Core.Targets;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Core.Tests.Sessions;

/// <summary>Opens a real bash terminal session through <see cref="SessionManager"/>, on fake time.</summary>
internal static class TestSessions
{
    public static async Task<(Session Session, FakeTimeProvider Time)> StartTerminalAsync(SessionLimits limits)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var target = new LocalShellTarget(new LocalShellSettings { Name = "local", InteractiveArguments = ["--norc", "--noprofile"], Limits = limits }, FdEventLoop.Shared, ProcessContainment.BySessionId);
        var manager = new SessionManager([target], time);
        var opened = await manager.OpenTerminalAsync(
            new OpenRequest { Id = SessionIds.New(time), Owner = new SessionOwner("test", "agent"), Roles = ["agent"], Target = "local" }, 80, 24, "xterm", null, default);
        return (opened.Session!, time);
    }
}
