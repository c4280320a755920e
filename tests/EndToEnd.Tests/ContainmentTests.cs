using System.Globalization;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests;

/// <summary><c>broker serve --containment</c>: which processes end with their session, as the start-up line says.</summary>
public sealed partial class ContainmentTests
{
    private static readonly string Policy = AgentPolicy.Allowing("setsid, sleep, echo, '['") + """

              - id: detach
                allow: {redirections: ["</dev/null", ">/dev/null", "2>&1"], constructs: [parameter-expansion, compound-command]}
        """;

    [Fact]
    public async Task With_session_ids_the_broker_says_so_and_a_setsid_daemon_ends_only_where_sessions_have_accounts_of_their_own()
    {
        await using var broker = await StartAsync("session-id");
        broker.Process.Log.Should().Contain("processes contained by POSIX session id (processes that call setsid escape)");

        var daemon = await RunExecLeavingDaemonAsync(broker.Process);

        if (Host.IsRoot)
        {
            // Outside the POSIX session the broker kills, but it runs as the session's account, whose cleaning kills it.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (IsRunning(daemon))
            {
                await Task.Delay(50, timeout.Token);
            }

            return;
        }

        // Sessions run as the broker's own account here: the documented escape.
        IsRunning(daemon).Should().BeTrue("a process that called setsid is outside the POSIX session the broker kills");
        (await File.ReadAllTextAsync($"/proc/{daemon}/cmdline")).Should().Be("sleep\03099\0");
        await BuiltTools.RunAsync("/bin/kill", ["-KILL", daemon.ToString(CultureInfo.InvariantCulture)]);
    }

    [SkippableFact]
    public async Task With_cgroups_a_setsid_daemon_dies_with_its_exec()
    {
        var missing = await CgroupsMissingReasonAsync();
        Skip.If(missing is not null, $"the host gives the broker no cgroup per session: {missing}");

        await using var broker = await StartAsync("cgroup");
        broker.Process.Log.Should().MatchRegex("processes contained by a cgroup per session under /.+/broker-[0-9]+-[0-9]+-[0-9]+");

        var daemon = await RunExecLeavingDaemonAsync(broker.Process);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (IsRunning(daemon))
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    [SkippableFact]
    public async Task Where_the_host_has_no_cgroups_the_cgroup_mode_refuses_to_start_with_the_reason()
    {
        var missing = await CgroupsMissingReasonAsync();
        Skip.If(missing is null, "this host gives the broker a cgroup per session, so cgroup mode starts");

        var process = new BrokerProcess { PolicyYaml = Policy, ExtraArguments = ["--containment", "cgroup"] };
        try
        {
            await process.Invoking(p => p.InitializeAsync()).Should().ThrowAsync<InvalidOperationException>();
            process.HasExited.Should().BeTrue();
            process.ExitCode.Should().Be(2);
            process.Log.Should().Contain("broker: cgroup containment is unavailable: ");
        }
        finally
        {
            await process.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_unknown_containment_mode_is_a_usage_error_naming_the_choices()
    {
        var (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.Broker, ["serve", "--dev", "--containment", "chroot"]);

        code.Should().NotBe(0);
        stderr.Should().Contain("chroot").And.Contain("session-id");
    }

    /// <summary>
    /// Why the host gives the broker no cgroup per session, or null where it does: asked of a broker in the default
    /// mode, which falls back to session ids and logs the reason, so that each cgroup test knows up front which
    /// outcome is right on this host instead of accepting either.
    /// </summary>
    private static async Task<string?> CgroupsMissingReasonAsync()
    {
        await using var probe = await StartAsync("auto");
        var fallback = FallbackLine().Match(probe.Process.Log);
        return fallback.Success ? fallback.Groups[1].Value : null;
    }

    private static async Task<OwnedBroker> StartAsync(string mode)
    {
        var process = new BrokerProcess { PolicyYaml = Policy, ExtraArguments = ["--containment", mode] };
        await process.InitializeAsync();
        return new OwnedBroker(process);
    }

    /// <summary>
    /// Runs an exec whose script leaves a setsid daemon behind (setsid execs sleep in the background job, so $! is the
    /// daemon) and returns the daemon's pid, printed while the exec was still running. The script ends only once the
    /// daemon runs sleep (setsid calls setsid before it execs), so the session never ends before the daemon left it.
    /// </summary>
    private static async Task<int> RunExecLeavingDaemonAsync(BrokerProcess broker)
    {
        var token = await broker.TokenAsync("alice");
        var result = await broker.ClientAsync(token, null, "exec", "--target", "local", "--script", "setsid sleep 3099 </dev/null >/dev/null 2>&1 & until [ /proc/$!/exe -ef /bin/sleep ]; do sleep 0.02; done; echo $!");
        result.Code.Should().Be(0, result.Stderr);
        return int.Parse(result.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not 'Z' and not 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"broker: no cgroup per session \((.*)\); processes that call setsid")]
    private static partial Regex FallbackLine();

    private sealed class OwnedBroker(BrokerProcess process) : IAsyncDisposable
    {
        public BrokerProcess Process { get; } = process;

        public async ValueTask DisposeAsync() => await Process.DisposeAsync();
    }
}
