namespace EndToEnd.Tests.Multiplexer;

/// <summary>
/// The thin executable, in the published layout (<c>agent-client</c> beside <c>agent-client.full</c>): an exec a
/// master serves prints and exits exactly as the full client's direct path; everything else (another command, no
/// master, a socket that fails a check, auto mode's first command) is the full client itself, by execv, with the
/// same output and exit code; signals reach the remote program; a missing full client is one line and exit 9.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ThinClientTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public ThinClientTests(BrokerProcess broker) => _broker = broker;

    public static TheoryData<string, string?, string[]> Commands => MultiplexerTests.Commands;

    public static TheoryData<string, string[]> OtherCommands => new()
    {
        { "help", ["--help"] },
        { "version", ["--version"] },
        { "unknown command", ["frobnicate"] },
        { "sessions list", ["sessions", "list"] },
        { "mux status", ["mux", "status"] },
        { "an option without its value", ["exec", "--target", "local", "--broker"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Exec_served_by_a_master_prints_and_exits_as_the_full_client_direct(string what, string? stdin, string[] args)
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-thin-e2e");
        args = args.Select(a => a == "BROKER" ? _broker.Url : a).ToArray();

        var direct = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, stdin, master.ClientEnvironment(token, "no"));
        var fallback = await BuiltTools.RunAsync(ThinClientLayout.AgentClient, args, stdin, master.ClientEnvironment(token, "no"));
        var served = await master.ServedAsync();
        var thin = await BuiltTools.RunAsync(ThinClientLayout.AgentClient, args, stdin, master.ClientEnvironment(token));

        thin.Should().Be(direct, what);
        fallback.Should().Be(direct, $"{what}: with the multiplexer off the thin executable becomes the full client");
        (await master.ServedAsync()).Should().Be(served + 1, "the command went through the master");
    }

    [Theory]
    [MemberData(nameof(OtherCommands))]
    public async Task Any_other_command_is_the_full_clients_output_and_exit_code(string what, string[] args)
    {
        var environment = new Dictionary<string, string>
        {
            ["BROKER_URL"] = _broker.Url,
            ["BROKER_TOKEN"] = await _broker.TokenAsync("agent-thin-other"),
            ["AGENT_CLIENT_MUX_DIR"] = Path.Combine(Path.GetTempPath(), "thin-e2e-none-" + Guid.NewGuid().ToString("n")),
        };

        var full = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, environment: environment);
        var thin = await BuiltTools.RunAsync(ThinClientLayout.AgentClient, args, environment: environment);

        thin.Should().Be(full, what);
    }

    [Fact]
    public async Task A_master_behind_a_directory_others_can_reach_is_not_used_and_the_full_client_runs_the_command()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-thin-modes");
        var original = File.GetUnixFileMode(master.Directory);

        File.SetUnixFileMode(master.Directory, (UnixFileMode)Convert.ToInt32("755", 8));
        var result = await BuiltTools.RunAsync(ThinClientLayout.AgentClient, ["exec", "--target", "local", "--", "echo", "direct"], environment: master.ClientEnvironment(token));
        File.SetUnixFileMode(master.Directory, original);

        result.Should().Be((0, "direct\n", string.Empty), "the thin executable falls back silently");
        (await master.ServedAsync()).Should().Be(0, "the thin executable did not hand the command to the master");
    }

    [Fact]
    public async Task Auto_mode_through_the_thin_executable_runs_the_first_command_directly_and_starts_a_master_for_the_next()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-thin-auto");
        var environment = master.ClientEnvironment(token, "auto");
        environment["AGENT_CLIENT_MUX_PERSIST"] = "60s";
        await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "stop"], environment: environment);
        await master.WaitForExitAsync();

        var first = await BuiltTools.RunAsync(ThinClientLayout.AgentClient, ["exec", "--target", "local", "--", "echo", "first"], environment: environment);
        first.Should().Be((0, "first\n", string.Empty));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "status"], environment: environment)).Code != 0)
        {
            await Task.Delay(50, limit.Token);
        }

        var second = await BuiltTools.RunAsync(ThinClientLayout.AgentClient, ["exec", "--target", "local", "--", "echo", "second"], environment: environment);
        var status = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "status"], environment: environment);
        (await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "stop"], environment: environment)).Code.Should().Be(0);

        second.Should().Be((0, "second\n", string.Empty));
        status.Stdout.Should().Contain("1 served");
    }

    [Fact]
    public async Task Sigint_to_the_thin_executable_interrupts_the_remote_program_with_the_full_clients_exit_code()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-thin-sigint");

        var direct = await MultiplexerSignalTests.InterruptAsync(BuiltTools.AgentClient, master.ClientEnvironment(token, "no"));
        var thin = await MultiplexerSignalTests.InterruptAsync(ThinClientLayout.AgentClient, master.ClientEnvironment(token));
        var fallback = await MultiplexerSignalTests.InterruptAsync(ThinClientLayout.AgentClient, master.ClientEnvironment(token, "no"));

        direct.Code.Should().Be(130, direct.Output);
        thin.Should().Be(direct);
        fallback.Should().Be(direct, "the full client the thin executable became handles the signal itself");
        (await master.ServedAsync()).Should().Be(1);
    }

    [Fact]
    public async Task Without_the_full_client_beside_it_the_thin_executable_says_so_in_one_line_and_exits_9()
    {
        var directory = ThinClientLayout.WithoutFullClient();
        try
        {
            var result = await BuiltTools.RunAsync(Path.Combine(directory, "agent-client"), ["sessions", "list"]);

            result.Should().Be((9, string.Empty, $"agent-client: cannot run {Path.Combine(directory, "agent-client.full")}: No such file or directory\n"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
