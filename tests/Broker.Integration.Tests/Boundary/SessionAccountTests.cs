using System.Globalization;
using System.Text.RegularExpressions;
using Broker.Integration.Tests.Fixtures;

namespace Broker.Integration.Tests.Boundary;

/// <summary>
/// A session's own account is an ordinary account to the commands an agent runs (id, whoami, ls ~, cd, files in its
/// home and TMPDIR), holds no privilege, starts with an empty home, and what one identity left in shared places is
/// gone before the account serves another identity.
/// </summary>
public sealed partial class SessionAccountTests : IClassFixture<BoundaryBrokerFixture>
{
    private readonly BoundaryBrokerFixture _broker;

    public SessionAccountTests(BoundaryBrokerFixture broker) => _broker = broker;

    [SkippableFact]
    public async Task Ordinary_commands_see_an_ordinary_unprivileged_account()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token($"ordinary-{Guid.NewGuid():n}")),
            "id -u; id -g; id -G; whoami; echo user=$USER logname=$LOGNAME home=$HOME shell=$SHELL tmp=$TMPDIR; "
            + "cd && pwd; ls -A ~; echo note > ~/note && cat ~/note; echo temp > ~/tmp/t && stat -c %a ~/tmp/t; umask; "
            + "grep -E '^(CapPrm|CapEff|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status");

        result.Exit!.Code.Should().Be(0, result.StderrText);
        var lines = result.StdoutText.Split('\n');
        var uid = uint.Parse(lines[0], CultureInfo.InvariantCulture);
        var name = lines[3];
        uid.Should().NotBe(0u).And.NotBe(Broker.Core.Accounts.AccountPrivileges.BrokerUid);
        lines[1].Should().Be(lines[0], "the account's group has its number");
        lines[2].Should().Be(lines[1], "supplementary groups are dropped");
        name.Should().StartWith("broker-s");
        var home = $"/var/lib/broker-sessions/homes/{name}";
        lines[4].Should().Be($"user={name} logname={name} home={home} shell=/bin/bash tmp={home}/tmp");
        lines[5].Should().Be(home);
        lines[6].Should().Be("tmp", "a session starts with an empty home of its own");
        lines[7].Should().Be("note");
        lines[8].Should().Be("600", "what a session creates is its own (umask 077)");
        lines[9].Should().Be("0077");
        result.StdoutText.Should().MatchRegex(@"CapPrm:\s+0+\n").And.MatchRegex(@"CapEff:\s+0+\n").And.MatchRegex(@"CapAmb:\s+0+\n")
            .And.MatchRegex(@"NoNewPrivs:\s+1\n").And.MatchRegex(@"Seccomp:\s+2\n");
    }

    [SkippableFact]
    public async Task Each_session_starts_with_an_empty_home_even_for_the_same_identity()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var client = _broker.Client(_broker.Token($"returning-{Guid.NewGuid():n}"));
        var first = await ExecResult.RunScriptAsync(client, "id -u; echo left > ~/left-behind; echo left > ~/tmp/left-behind");
        var second = await ExecResult.RunScriptAsync(client, "id -u; ls -A ~ ~/tmp");

        first.Exit!.Code.Should().Be(0, first.StderrText);
        second.Exit!.Code.Should().Be(0, second.StderrText);
        second.StdoutText.Should().NotContain("left-behind");
    }

    [SkippableFact]
    public async Task What_a_session_leaves_in_shared_places_is_gone_before_its_account_serves_another_identity()
    {
        Skip.If(BoundaryBrokerFixture.NoBoundaryReason is not null, BoundaryBrokerFixture.NoBoundaryReason);
        var tag = Guid.NewGuid().ToString("n");
        var inTmp = $"/tmp/leftover-{tag}";
        var inShm = $"/dev/shm/leftover-{tag}";
        var inVarTmp = $"/var/tmp/nested-{tag}";
        // Target 'tiny' has one account: the second identity gets the account the first one used.
        var first = await LeaseTinyAsync($"first-{tag}",
            $"umask 022; id -u; echo secret-{tag} > {inTmp}; mkdir {inShm} && echo secret-{tag} > {inShm}/f; "
            + $"mkdir -m 1777 {inVarTmp} && echo secret-{tag} > {inVarTmp}/f; ipcmk -M 4096 >/dev/null && echo shm-made");
        first.StdoutText.Should().Contain("shm-made");
        var uid = uint.Parse(first.StdoutText.Split('\n')[0], CultureInfo.InvariantCulture);
        SharedMemoryOwnedBy(uid).Should().BeTrue("the first session made a System V segment");

        var second = await LeaseTinyAsync($"second-{tag}", $"id -u; cat {inTmp} {inShm}/f {inVarTmp}/f; ipcs -m");

        uint.Parse(second.StdoutText.Split('\n')[0], CultureInfo.InvariantCulture).Should().Be(uid, "the pool has one account");
        second.StdoutText.Should().NotContain($"secret-{tag}");
        File.Exists(inTmp).Should().BeFalse();
        Directory.Exists(inShm).Should().BeFalse();
        File.Exists($"{inVarTmp}/f").Should().BeFalse("files inside world-writable directories are found too");
        SharedMemoryOwnedBy(uid).Should().BeFalse();
        if (Directory.Exists(inVarTmp))
        {
            Directory.Delete(inVarTmp);
        }
    }

    /// <summary>Runs on 'tiny'; another test run on this host may hold its one account for a moment, so a refusal is retried.</summary>
    private async Task<ExecResult> LeaseTinyAsync(string subject, string script)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token(subject)), script, target: "tiny");
            if (result.Exit is { Code: 0 })
            {
                return result;
            }

            result.StderrText.Should().Contain("in use", "only a busy pool is retried");
            DateTime.UtcNow.Should().BeBefore(deadline, "the one account of 'tiny' becomes free");
            await Task.Delay(200);
        }
    }

    private static bool SharedMemoryOwnedBy(uint uid) =>
        File.ReadAllLines("/proc/sysvipc/shm").Skip(1)
            .Select(l => WhiteSpace().Split(l.Trim()))
            .Any(f => f.Length > 7 && f[7] == uid.ToString(CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
