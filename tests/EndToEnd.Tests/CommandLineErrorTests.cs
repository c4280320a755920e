namespace EndToEnd.Tests;

/// <summary>Errors a person can act on, from the three built executables: one line, the right exit code, what to do.</summary>
public sealed class CommandLineErrorTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public CommandLineErrorTests(BrokerProcess broker) => _broker = broker;

    public static TheoryData<string, string[], string> UsageErrors => new()
    {
        { "agent-client", ["exec", "--target", "local", "--frobnicate", "--", "echo", "hi"], "unknown option '--frobnicate'" },
        { "agent-client", ["exec", "--", "true"], "'--target' is required" },
        { "agent-client", ["frobnicate"], "unknown command or option 'frobnicate'" },
        { "agent-client", ["sessions"], "agent-client sessions --help" },
        { "agent-client", ["shell", "--target", "local", "--escape", "xy"], "--escape takes one printable" },
        { "broker", ["serve", "--frobnicate"], "unknown command or option '--frobnicate'" },
        { "broker", ["token"], "'--sub' is required" },
        { "broker", ["serve", "--containment", "bogus"], "bogus" },
        { "replay", ["verify"], "replay verify --help" },
        { "replay", ["frobnicate"], "unknown command or option 'frobnicate'" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task A_usage_error_is_one_line_pointing_at_the_help_and_exits_2(string tool, string[] args, string expected)
    {
        var program = tool switch
        {
            "agent-client" => BuiltTools.AgentClient,
            "broker" => BuiltTools.Broker,
            _ => BuiltTools.Replay,
        };

        var (code, stdout, stderr) = await BuiltTools.RunAsync(program, args, environment: new Dictionary<string, string> { ["BROKER_URL"] = _broker.Url, ["BROKER_TOKEN"] = "unused" });

        code.Should().Be(2, stderr);
        stdout.Should().BeEmpty();
        var line = stderr.TrimEnd('\n').Split('\n').Should().ContainSingle().Subject;
        line.Should().StartWith(tool + ": ").And.Contain(expected).And.Contain("--help");
    }

    [Fact]
    public async Task An_argument_starting_with_at_is_passed_to_the_program_not_read_as_a_response_file()
    {
        var token = await _broker.TokenAsync("at-sign");
        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", "@notes.txt");
        code.Should().Be(0, stderr);
        stdout.Should().Be("@notes.txt\n");
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_address_and_nothing_starts()
    {
        var data = Path.Combine(Path.GetTempPath(), "broker-e2e-port-" + Guid.NewGuid().ToString("n"));
        try
        {
            var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Broker, ["serve", "--dev", "--data", data, "--urls", _broker.Url]);

            code.Should().Be(3, stderr);
            stdout.Should().BeEmpty();
            var line = stderr.TrimEnd('\n').Split('\n').Should().ContainSingle().Subject;
            line.Should().Contain(_broker.Url).And.Contain("already in use");
        }
        finally
        {
            DeleteQuietly(data);
        }
    }

    [Fact]
    public async Task Broker_token_refuses_a_data_directory_without_an_issuer_key_unless_asked_to_create_one()
    {
        var data = Path.Combine(Path.GetTempPath(), "broker-e2e-nokey-" + Guid.NewGuid().ToString("n"));
        try
        {
            var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Broker, ["token", "--data", data, "--sub", "alice"]);
            code.Should().Be(4, stderr);
            stdout.Should().BeEmpty();
            stderr.Should().Contain(data).And.Contain("--init");
            Directory.Exists(data).Should().BeFalse("nothing is created without --init");

            (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Broker, ["token", "--data", data, "--sub", "alice", "--init"]);
            code.Should().Be(0, stderr);
            stdout.Trim().Split('.').Should().HaveCount(3);
        }
        finally
        {
            DeleteQuietly(data);
        }
    }

    [Fact]
    public async Task A_token_from_another_data_directory_is_refused_naming_the_issuer_and_the_likely_cause()
    {
        var data = Path.Combine(Path.GetTempPath(), "broker-e2e-otherkey-" + Guid.NewGuid().ToString("n"));
        try
        {
            var (_, foreign, _) = await BuiltTools.RunAsync(BuiltTools.Broker, ["token", "--data", data, "--sub", "alice", "--init"]);

            var (code, _, stderr) = await _broker.ClientAsync(foreign.Trim(), null, "exec", "--target", "local", "--", "true");

            code.Should().Be(3, stderr);
            stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("issuer 'broker-dev'").And.Contain("data directory");
        }
        finally
        {
            DeleteQuietly(data);
        }
    }

    [Fact]
    public async Task A_broker_that_is_not_there_is_named_by_its_url()
    {
        var url = $"http://127.0.0.1:{BuiltTools.FreePort()}";
        var (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--broker", url, "--token", "t", "--target", "local", "--", "true"]);

        code.Should().Be(6, stderr);
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(url).And.Contain("nothing is listening");
    }

    [Fact]
    public async Task Https_for_a_broker_that_serves_plain_http2_says_to_use_http()
    {
        var url = _broker.Url.Replace("http://", "https://", StringComparison.Ordinal);
        var (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--broker", url, "--token", "t", "--target", "local", "--", "true"]);

        code.Should().Be(6, stderr);
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(url).And.Contain("does not use TLS").And.Contain(_broker.Url);
    }

    [Fact]
    public async Task Http_for_a_server_that_speaks_tls_says_to_use_https()
    {
        await using var server = await TlsListener.StartAsync();
        var url = $"http://127.0.0.1:{server.Port}";
        var (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--broker", url, "--token", "t", "--target", "local", "--", "true"]);

        code.Should().Be(6, stderr);
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(url).And.Contain("uses TLS").And.Contain($"https://127.0.0.1:{server.Port}");
    }

    [Fact]
    public async Task A_server_that_drops_every_connection_is_named_with_exit_6_never_a_silent_failure()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var dropping = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                client.Client.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            }
        });
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";

        var (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--broker", url, "--token", "t", "--target", "local", "--", "true"]);
        await stop.CancelAsync();
        await dropping.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(30));

        code.Should().Be(6, stderr);
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(url);
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created.
        }
    }
}
