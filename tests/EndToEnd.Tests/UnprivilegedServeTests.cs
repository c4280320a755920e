namespace EndToEnd.Tests;

/// <summary>
/// <c>broker serve</c> started without root (here: as nobody, through setpriv): the dev target says it runs as the
/// broker's own account and why; a configuration that asks for accounts of their own refuses to start instead.
/// </summary>
public sealed class UnprivilegedServeTests
{
    private static readonly string[] AsNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

    [SkippableFact]
    public async Task Serve_dev_without_root_starts_with_a_warning_and_runs_sessions_as_the_brokers_account()
    {
        Skip.IfNot(Host.IsRoot, "the test starts the broker as another account with setpriv");
        await using var broker = new BrokerProcess
        {
            Launcher = AsNobody,
            DataOwner = "65534:65534",
            Environment = new Dictionary<string, string> { ["HOME"] = "/tmp" },
        };
        await broker.InitializeAsync();
        var token = await broker.TokenAsync("laptop-user");

        var (code, stdout, stderr) = await broker.ClientAsync(token, null, "exec", "--target", "local", "--", "id", "-u");

        code.Should().Be(0, stderr);
        stdout.Should().Be("65534\n");
        broker.Log.Should().Contain("broker: WARNING: target 'local' runs its sessions as the broker's own account (uid 65534) because the broker cannot switch accounts")
            .And.Contain("when_unprivileged: run-as-broker");
    }

    [SkippableFact]
    public async Task A_configuration_asking_for_accounts_of_their_own_refuses_to_start_without_root_naming_the_line()
    {
        Skip.IfNot(Host.IsRoot, "the test starts the broker as another account with setpriv");
        var broker = new BrokerProcess
        {
            PolicyYaml = AgentPolicy.Allowing("echo"),
            Launcher = AsNobody,
            DataOwner = "65534:65534",
            Environment = new Dictionary<string, string> { ["HOME"] = "/tmp" },
        };
        await using (broker)
        {
            var start = () => broker.InitializeAsync();

            await start.Should().ThrowAsync<InvalidOperationException>();
            broker.HasExited.Should().BeTrue();
            broker.ExitCode.Should().Be(2);
            broker.Log.Should().MatchRegex(@"broker: .*policy\.yaml:\d+:\d+: target 'local' runs its sessions as an account of their own \(run_as: per-session\), but the broker runs as uid 65534");
        }
    }
}
