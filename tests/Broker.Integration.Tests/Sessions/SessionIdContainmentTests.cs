using System.Globalization;
using System.Text.RegularExpressions;
using Broker.Integration.Tests.Boundary;
using Broker.Integration.Tests.Fixtures;
using Broker.TestSupport;

namespace Broker.Integration.Tests.Sessions;

/// <summary>
/// Without a cgroup per session, a process that calls setsid leaves its POSIX session; with an account per session it
/// still ends with the session, because the account's cleaning kills every process of the account.
/// </summary>
public sealed partial class SessionIdContainmentTests : IClassFixture<SessionIdBrokerFixture>, IDisposable
{
    private readonly SessionIdBrokerFixture _broker;
    private readonly SessionScratch _scratch = new("broker-session-id-");

    public SessionIdContainmentTests(SessionIdBrokerFixture broker) => _broker = broker;

    public void Dispose() => _scratch.Dispose();

    [SkippableFact]
    public async Task A_setsid_daemon_dies_with_its_session_through_the_sessions_account()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        _broker.Containment.UsesCgroups.Should().BeFalse();
        var pidFile = _scratch.File("daemon.pid");
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token()),
            $"setsid sh -c 'echo $$ > {pidFile}; exec sleep 307' </dev/null >/dev/null 2>&1 & "
            + $"while [ ! -s {pidFile} ]; do sleep 0.02; done; echo leader:$$");
        result.Exit!.Code.Should().Be(0, result.StderrText);
        var leader = int.Parse(LeaderPattern().Match(result.StdoutText).Groups[1].Value, CultureInfo.InvariantCulture);
        var daemon = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);

        ProcessProbe.SessionMembers(leader).Should().NotContain(daemon, "the daemon left the POSIX session");
        await ProcessProbe.WaitGoneAsync(daemon);
    }

    [GeneratedRegex(@"leader:(\d+)")]
    private static partial Regex LeaderPattern();
}
