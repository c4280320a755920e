using System.Globalization;
using System.Text;
using Broker.Core.Accounts;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Tests.Processes;

/// <summary>
/// The spawn helper as the broker uses it: what a started program inherits (nothing of the broker's descriptors,
/// default signals, its own session, the broker as its parent), and failures before exec coming back as values.
/// </summary>
public sealed class SpawnHelperTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly SpawnHelper _helper = new();

    public void Dispose() => _helper.Dispose();

    [Fact]
    public async Task A_program_gets_only_its_three_descriptors_default_signals_its_own_session_and_the_broker_as_parent()
    {
        // A descriptor of the broker's without close-on-exec: the program must not get it all the same.
        var leaked = OpenWithoutCloseOnExec("/etc/hostname");
        try
        {
            var (code, output) = await RunAsync(new SpawnRequest
            {
                Path = "/bin/sh",
                // The masks are read by the program itself, once it has become grep (exec): read from the outside, they
                // would show the shell blocking every signal around the fork of the reader, as dash does.
                Arguments = ["sh", "-c", "ls -m /proc/$$/fd; cut -d' ' -f6 /proc/$$/stat; echo $$; echo $PPID; exec grep -E '^(SigBlk|SigIgn):' /proc/self/status"],
                Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            });

            code.Should().Be(0, output);
            var lines = output.Split('\n');
            // A simple command, not a pipeline: the shell holds no pipe of its own while ls looks at its descriptors.
            lines[0].Should().Be("0, 1, 2");
            lines[1].Should().Be(lines[2], "the program leads a session of its own");
            lines[3].Should().Be(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "the program is the broker's own child");
            lines[4].Should().MatchRegex(@"^SigBlk:\s+0+$");
            lines[5].Should().MatchRegex(@"^SigIgn:\s+0+$");
        }
        finally
        {
            LibC.close(leaked);
        }
    }

    [SkippableFact]
    public async Task A_program_runs_with_the_account_and_umask_it_was_given_and_without_supplementary_groups()
    {
        Skip.IfNot(AccountPrivileges.CanSwitchAccounts, AccountPrivileges.WhyNot);
        var (code, output) = await RunAsync(new SpawnRequest
        {
            Path = "/bin/sh",
            Arguments = ["sh", "-c", "id -u; id -g; id -G; umask; grep -E '^(CapEff|NoNewPrivs):' /proc/$$/status"],
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            Account = new SpawnAccount(65534, 65534),
            Umask = Convert.ToUInt32("022", 8),
        });

        code.Should().Be(0, output);
        output.Should().MatchRegex(@"^65534\n65534\n65534\n0022\nCapEff:\s+0+\nNoNewPrivs:\s+1\n$");
    }

    [Fact]
    public void A_program_that_cannot_be_executed_is_a_value_with_the_stage_and_errno()
    {
        var result = Spawn(new SpawnRequest { Path = "/no/such/program", Arguments = ["x"], Environment = new Dictionary<string, string>() });

        result.Succeeded.Should().BeFalse();
        result.Error.Should().Be("cannot start /no/such/program: cannot execute: No such file or directory (errno 2)");
    }

    [Fact]
    public void A_working_directory_that_cannot_be_entered_is_a_value_with_the_stage_and_errno()
    {
        var result = Spawn(new SpawnRequest { Path = "/bin/true", Arguments = ["true"], Environment = new Dictionary<string, string>(), WorkingDirectory = "/no/such/dir" });

        result.Error.Should().Be("cannot start /bin/true: cannot enter the working directory: No such file or directory (errno 2)");
    }

    [Fact]
    public void An_argument_holding_a_nul_byte_is_refused_before_it_reaches_the_helper()
    {
        var result = Spawn(new SpawnRequest { Path = "/bin/echo", Arguments = ["echo", "a\0b"], Environment = new Dictionary<string, string>() });

        result.Error.Should().Be("cannot start /bin/echo: an argument or environment variable contains a NUL byte");
    }

    [Fact]
    public async Task A_helper_that_died_is_started_again_at_the_next_request()
    {
        (await RunAsync(EchoRequest("first"))).Output.Should().Be("first\n");
        var first = _helper.ProcessId;
        LibC.kill(first, 9);
        await WaitUntilExitedAsync(first);

        (await RunAsync(EchoRequest("second"))).Output.Should().Be("second\n");
        _helper.ProcessId.Should().NotBe(first);
    }

    [Fact]
    public async Task Large_arguments_and_environments_reach_the_program_intact()
    {
        var big = new string('x', 100_000);
        var environment = Enumerable.Range(0, 500).ToDictionary(i => $"VARIABLE_{i}", i => $"value-{i}-ünïcödé");
        environment["PATH"] = "/usr/bin:/bin";
        var (code, output) = await RunAsync(new SpawnRequest
        {
            Path = "/bin/sh",
            Arguments = ["sh", "-c", "echo ${#1}; echo $VARIABLE_499", "sh", big],
            Environment = environment,
        });

        code.Should().Be(0);
        output.Should().Be("100000\nvalue-499-ünïcödé\n");
    }

    [SkippableFact]
    public async Task Without_clone3_the_program_is_still_placed_in_its_cgroup_before_it_runs()
    {
        using var legacy = new SpawnHelper(legacyClone: true);
        var (tree, error) = CgroupTree.TryCreate(legacy);
        Skip.If(tree is null, $"no cgroup per session on this host: {error}");
        using (tree)
        {
            var (code, output, cgroup) = await RunInTreeAsync(legacy, tree!);

            code.Should().Be(0);
            output.Trim().Should().EndWith("/" + Path.GetFileName(cgroup.Path), "the program read its own cgroup as its first act");
            cgroup.TryRemove(TimeSpan.FromSeconds(10)).Should().BeTrue();
        }
    }

    [SkippableFact]
    public async Task With_clone3_the_program_is_born_in_its_cgroup()
    {
        var (tree, error) = CgroupTree.TryCreate(_helper);
        Skip.If(tree is null, $"no cgroup per session on this host: {error}");
        using (tree)
        {
            var (code, output, cgroup) = await RunInTreeAsync(_helper, tree!);

            code.Should().Be(0);
            output.Trim().Should().EndWith("/" + Path.GetFileName(cgroup.Path));
            cgroup.TryRemove(TimeSpan.FromSeconds(10)).Should().BeTrue();
        }
    }

    [Fact]
    public void Cleaning_as_root_or_as_the_helpers_own_account_is_refused()
    {
        var (pid, error) = _helper.StartCleaning(new SpawnAccount(0, 0), null, [], sweep: true);

        pid.Should().Be(0);
        error.Should().StartWith("the spawn helper did not understand the request");
    }

    private static async Task<(int Code, string Output, SessionCgroup Cgroup)> RunInTreeAsync(SpawnHelper helper, CgroupTree tree)
    {
        using var output = new Pipe();
        var (spawned, cgroup) = tree.Spawn(helper, new SpawnRequest
        {
            Path = "/bin/cat",
            Arguments = ["cat", "/proc/self/cgroup"],
            Environment = new Dictionary<string, string>(),
        }, new SpawnStdio.Pipes(output.Null, output.Write, output.Write));
        spawned.Succeeded.Should().BeTrue(spawned.Error);
        output.CloseWrite();
        var text = await output.ReadToEndAsync();
        return (await ReapAsync(spawned.ProcessId), text, cgroup!);
    }

    /// <summary>Waits until <paramref name="pid"/> is a zombie or gone (not reaped: that is the helper's owner's job).</summary>
    private static async Task WaitUntilExitedAsync(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal))
        {
            DateTime.UtcNow.Should().BeBefore(deadline);
            await Task.Delay(10);
        }
    }

    private static SpawnRequest EchoRequest(string text) =>
        new() { Path = "/bin/echo", Arguments = ["echo", text], Environment = new Dictionary<string, string>() };

    private SpawnResult Spawn(SpawnRequest request)
    {
        using var output = new Pipe();
        var result = _helper.Spawn(request, new SpawnStdio.Pipes(output.Null, output.Write, output.Write), null);
        if (result.Succeeded)
        {
            ReapAsync(result.ProcessId).Wait(Timeout);
        }

        return result;
    }

    private async Task<(int Code, string Output)> RunAsync(SpawnRequest request)
    {
        using var output = new Pipe();
        var result = _helper.Spawn(request, new SpawnStdio.Pipes(output.Null, output.Write, output.Write), null);
        result.Succeeded.Should().BeTrue(result.Error);
        output.CloseWrite();
        var text = await output.ReadToEndAsync();
        return (await ReapAsync(result.ProcessId), text);
    }

    private static async Task<int> ReapAsync(int pid)
    {
        using var child = new ChildProcess(pid, FdEventLoop.Shared);
        return (await child.Exited.WaitAsync(Timeout)).Code;
    }

    private static unsafe int OpenWithoutCloseOnExec(string path)
    {
        var name = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = name)
        {
            var fd = LibC.open(p, LibC.O_RDONLY);
            fd.Should().BeGreaterThan(2);
            return fd;
        }
    }

    /// <summary>A pipe the program writes into and the test reads from, plus /dev/null for its input.</summary>
    private sealed class Pipe : IDisposable
    {
        private readonly FileStream _read;
        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _null;
        private int _write;

        public unsafe Pipe()
        {
            var fds = stackalloc int[2];
            LibC.pipe2(fds, LibC.O_CLOEXEC).Should().Be(0);
            _read = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fds[0], ownsHandle: true), FileAccess.Read);
            _write = fds[1];
            _null = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        }

        public int Write => _write;

        public int Null => (int)_null.DangerousGetHandle();

        public void CloseWrite()
        {
            if (_write >= 0)
            {
                LibC.close(_write);
                _write = -1;
            }
        }

        public async Task<string> ReadToEndAsync()
        {
            using var reader = new StreamReader(_read, Encoding.UTF8, leaveOpen: true);
            return await reader.ReadToEndAsync().WaitAsync(Timeout);
        }

        public void Dispose()
        {
            CloseWrite();
            _read.Dispose();
            _null.Dispose();
        }
    }
}
