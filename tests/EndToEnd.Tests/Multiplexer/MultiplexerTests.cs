using System.Text.RegularExpressions;
using Broker.TestSupport;

namespace EndToEnd.Tests.Multiplexer;

/// <summary>
/// <c>agent-client exec</c> through a per-user multiplexer master, with the built executables as processes:
/// the same bytes, messages and exit codes as the direct path; a master that cannot be reached safely is
/// not used (the client falls back); another uid is refused; each client's own token; the idle exit.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class MultiplexerTests : IClassFixture<BrokerProcess>, IDisposable
{
    private readonly BrokerProcess _broker;
    private readonly SessionScratch _scratch = new("mux-e2e-");

    public MultiplexerTests(BrokerProcess broker) => _broker = broker;

    public static TheoryData<string, string?, string[]> Commands => new()
    {
        { "exit code and both streams", null, ["exec", "--target", "local", "--script", "echo out; echo err >&2; exit 3"] },
        { "success", null, ["exec", "--target", "local", "--", "echo", "hello", "@notes.txt"] },
        { "piped standard input", "line one\nline two\n", ["exec", "--target", "local", "--", "cat"] },
        { "unknown option", null, ["exec", "--target", "local", "--frobnicate", "--", "echo", "hi"] },
        { "no command", null, ["exec", "--target", "local"] },
        { "missing --target", null, ["exec", "--", "true"] },
        { "help", null, ["exec", "--help"] },
        { "unknown target", null, ["exec", "--target", "nowhere", "--", "true"] },
        { "options before the command", null, ["--broker", "BROKER", "exec", "--target", "local", "--", "true"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Exec_through_the_master_prints_and_exits_exactly_as_the_direct_path(string what, string? stdin, string[] args)
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-mux-e2e");
        args = args.Select(a => a == "BROKER" ? _broker.Url : a).ToArray();

        var direct = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, stdin, master.ClientEnvironment(token, "no"));
        var served = await master.ServedAsync();
        var muxed = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, stdin, master.ClientEnvironment(token));

        muxed.Should().Be(direct, what);
        (await master.ServedAsync()).Should().Be(served + 1, "the command went through the master");
    }

    [Fact]
    public async Task A_held_no_wait_command_exits_75_with_its_approval_id_through_the_master()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-mux-held");
        var file = _scratch.File("held");
        await File.WriteAllTextAsync(file, "x");
        string[] args = ["exec", "--target", "local", "--no-wait", "--", "rm", file];

        var direct = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, environment: master.ClientEnvironment(token, "no"));
        var muxed = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, environment: master.ClientEnvironment(token));

        direct.Code.Should().Be(75, direct.Stderr);
        muxed.Code.Should().Be(75, muxed.Stderr);
        ApprovalId().Replace(muxed.Stderr, "ID").Should().Be(ApprovalId().Replace(direct.Stderr, "ID"));
        muxed.Stdout.Should().Be(direct.Stdout);
        File.Exists(file).Should().BeTrue();
        (await master.ServedAsync()).Should().Be(1);
    }

    [Fact]
    public async Task Each_client_brings_its_own_token_and_one_without_gets_no_call()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-mux-token");
        string[] args = ["exec", "--target", "local", "--", "echo", "ran"];

        var first = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, environment: master.ClientEnvironment(token));
        var none = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, environment: master.ClientEnvironment(null));
        var forged = await BuiltTools.RunAsync(BuiltTools.AgentClient, args, environment: master.ClientEnvironment(token[..^4] + "AAAA"));
        var fromFile = _scratch.File("token");
        await File.WriteAllTextAsync(fromFile, token);
        var again = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["--token-file", fromFile, .. args], environment: master.ClientEnvironment(null));

        first.Should().Be((0, "ran\n", string.Empty));
        none.Code.Should().Be(2, "the master has no token of its own and lends none");
        none.Stderr.Should().Contain("no token");
        none.Stdout.Should().BeEmpty();
        forged.Code.Should().Be(3, forged.Stderr);
        again.Should().Be((0, "ran\n", string.Empty));
        (await master.ServedAsync()).Should().Be(4);
        master.Log.Should().NotContain(token);
    }

    [Theory]
    [InlineData("directory", "755")]
    [InlineData("directory", "710")]
    [InlineData("socket", "666")]
    public async Task A_master_reached_through_a_directory_or_socket_others_can_reach_is_not_used(string which, string mode)
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-mux-modes");
        var path = which == "directory" ? master.Directory : master.SocketPath;
        var original = File.GetUnixFileMode(path);

        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
        var result = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--target", "local", "--", "echo", "direct"], environment: master.ClientEnvironment(token));
        File.SetUnixFileMode(path, original);

        result.Should().Be((0, "direct\n", string.Empty), "the client falls back to the direct path silently");
        (await master.ServedAsync()).Should().Be(0, "the client did not connect to the master");
    }

    [Fact]
    public async Task Another_uid_that_reaches_the_socket_is_refused_by_the_master()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var stranger = 65000 + Random.Shared.Next(400);

        // As if the directory and socket had been opened to everyone: only the peer-credential check stands.
        File.SetUnixFileMode(Path.GetDirectoryName(master.Directory)!, (UnixFileMode)Convert.ToInt32("711", 8));
        File.SetUnixFileMode(master.Directory, (UnixFileMode)Convert.ToInt32("711", 8));
        File.SetUnixFileMode(master.SocketPath, (UnixFileMode)Convert.ToInt32("666", 8));
        try
        {
            var script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(b'S')\ntry:\n  print(repr(s.recv(4096)))\nexcept ConnectionResetError:\n  print('reset')";
            var (code, stdout, stderr) = await BuiltTools.RunAsync("setpriv", [$"--reuid={stranger}", $"--regid={stranger}", "--clear-groups", "/usr/bin/python3", "-c", script, master.SocketPath]);

            code.Should().Be(0, stderr);
            stdout.Trim().Should().BeOneOf(["b''", "reset"], "the master closes the connection without a word");
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!master.Log.Contains($"refused a connection from uid {stranger}", StringComparison.Ordinal))
            {
                await Task.Delay(20, limit.Token);
            }
        }
        finally
        {
            // The client refuses a socket or socket directory open to others, so `mux stop` at the end needs the modes back;
            // without them the master is stopped only by its two-minute kill.
            File.SetUnixFileMode(master.SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(master.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(Path.GetDirectoryName(master.Directory)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task The_master_exits_after_its_persist_time_with_nothing_to_do_and_the_next_exec_runs_directly()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url, persist: "1s");
        var token = await _broker.TokenAsync("agent-mux-idle");
        var socket = master.SocketPath;

        await master.WaitForExitAsync();

        File.Exists(socket).Should().BeFalse();
        var result = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--target", "local", "--", "echo", "after"], environment: master.ClientEnvironment(token));
        result.Should().Be((0, "after\n", string.Empty));
    }

    [Fact]
    public async Task Auto_mode_runs_the_first_command_directly_and_starts_a_master_for_the_next()
    {
        await using var master = await MasterProcess.StartAsync(_broker.Url);
        var token = await _broker.TokenAsync("agent-mux-auto");
        var environment = master.ClientEnvironment(token, "auto");
        environment["AGENT_CLIENT_MUX_PERSIST"] = "60s";
        await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "stop"], environment: environment);
        await master.WaitForExitAsync();

        var first = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--target", "local", "--", "echo", "first"], environment: environment);
        first.Should().Be((0, "first\n", string.Empty));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "status"], environment: environment)).Code != 0)
        {
            await Task.Delay(50, limit.Token);
        }

        var second = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--target", "local", "--", "echo", "second"], environment: environment);
        var status = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "status"], environment: environment);
        (await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "stop"], environment: environment)).Code.Should().Be(0);

        second.Should().Be((0, "second\n", string.Empty));
        status.Stdout.Should().Contain("1 served");
    }

    public void Dispose() => _scratch.Dispose();

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();
}
