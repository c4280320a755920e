using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Broker.Core.Native;
using Broker.Core.Processes;
using Broker.Integration.Tests.Fixtures;

namespace Broker.Integration.Tests.Sessions;

/// <summary>
/// Processes that leave the POSIX session (setsid, double fork) still end with their broker session. Where the
/// host gives the broker no cgroup per session (CI containers without a writable cgroup v2), the tests check the
/// documented fallback instead: the escaped process outlives its session, and the test kills it itself.
/// </summary>
public sealed partial class ContainmentTests : IClassFixture<PermissiveBrokerFixture>, IDisposable
{
    private readonly BrokerFixture _broker;
    private readonly string _scratch = Directory.CreateTempSubdirectory("broker-containment-").FullName;

    public ContainmentTests(PermissiveBrokerFixture broker) => _broker = broker;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task A_daemon_that_called_setsid_dies_when_its_exec_session_ends()
    {
        var pidFile = Path.Combine(_scratch, "exec-daemon.pid");
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token()),
            $"setsid sh -c 'echo $$ > {pidFile}; exec sleep 301' </dev/null >/dev/null 2>&1 & "
            + $"while [ ! -s {pidFile} ]; do sleep 0.02; done; echo leader:$$");
        result.Exit!.Code.Should().Be(0, result.StderrText);
        var leader = int.Parse(LeaderPattern().Match(result.StdoutText).Groups[1].Value, CultureInfo.InvariantCulture);
        var daemon = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);

        await ExpectGoneOrDocumentedEscapeAsync(daemon, leader);
    }

    [Fact]
    public async Task A_double_forked_setsid_daemon_dies_when_the_client_leaves_its_terminal()
    {
        var pidFile = Path.Combine(_scratch, "terminal-daemon.pid");
        var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token()));
        await terminal.SendAsync($"(setsid sh -c 'echo $$ > {pidFile}; exec sleep 302' </dev/null >/dev/null 2>&1 &); echo leader:$$\r");
        await terminal.WaitUntilAsync(() => LeaderPattern().IsMatch(terminal.Output) && File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "the daemon's pid");
        var leader = int.Parse(LeaderPattern().Match(terminal.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        var daemon = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        ProcessProbe.IsAlive(daemon).Should().BeTrue();

        terminal.Cancel();
        await terminal.DisposeAsync();

        await ExpectGoneOrDocumentedEscapeAsync(daemon, leader);
    }

    [Fact]
    public async Task Every_session_cgroup_is_removed_once_its_session_has_ended()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            ExecResult.RunScriptAsync(_broker.Client(_broker.Token($"agent-{i}")), $"sleep 0.{i} & echo done-{i}")));
        results.Should().OnlyContain(r => r.Exit!.Code == 0);
        if (!_broker.Containment.UsesCgroups)
        {
            _broker.Containment.Should().BeSameAs(ProcessContainment.BySessionId);
            return;
        }

        var branch = _broker.Containment.CgroupBranch!;
        Directory.Exists(branch).Should().BeTrue();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        // Other tests of this fixture run in sequence, so any session cgroup left is one of these five.
        while (Directory.EnumerateDirectories(branch).Any())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "ended sessions must not leave cgroups behind: {0}", string.Join(", ", Directory.EnumerateDirectories(branch)));
            await Task.Delay(50);
        }
    }

    [Fact]
    public unsafe void A_program_the_broker_process_starts_during_a_spawn_is_returned_to_the_brokers_own_cgroup()
    {
        using var tree = TreeOrNoneWhereTheBrokerHasNone();
        if (tree is null)
        {
            return;
        }

        Process? stray = null;
        var (spawned, cgroup) = tree.Spawn(() =>
        {
            // Started by another part of the process while the broker is inside the session's cgroup; it forks too.
            stray = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 303 & exec sleep 304"]))!;
            WaitUntil(() => Children(stray.Id).Count > 0);
            return SpawnSleep("305");
        });
        spawned.Succeeded.Should().BeTrue(spawned.Error);
        var strayChild = Children(stray!.Id).Single();
        try
        {
            var home = BrokersOwnCgroup();
            CgroupOf(spawned.ProcessId).Should().NotBe(home).And.EndWith(Path.GetFileName(cgroup!.Path));
            CgroupOf(stray.Id).Should().Be(home);
            CgroupOf(strayChild).Should().Be(home);

            cgroup.Kill().Should().BeTrue();
            int status;
            LibC.waitpid(spawned.ProcessId, &status, 0).Should().Be(spawned.ProcessId);
            ProcessProbe.IsAlive(stray.Id).Should().BeTrue("the session's kill must not reach a program it did not start");
            ProcessProbe.IsAlive(strayChild).Should().BeTrue();
            cgroup.TryRemove(TimeSpan.FromSeconds(10)).Should().BeTrue();
        }
        finally
        {
            LibC.kill(strayChild, 9);
            stray.Kill();
            stray.WaitForExit(10_000);
        }
    }

    [Fact]
    public async Task A_branch_set_up_while_another_spawns_is_made_in_the_brokers_own_cgroup_not_in_that_session()
    {
        using var tree = TreeOrNoneWhereTheBrokerHasNone();
        if (tree is null)
        {
            return;
        }

        var home = BrokersOwnCgroup();
        Task<(CgroupTree? Tree, string? Error)>? second = null;
        var nested = new List<string>();
        var (spawned, cgroup) = tree.Spawn(() =>
        {
            // While this process sits in the session's cgroup, another part of it sets up its own branch. Unguarded,
            // that branch appears inside the session's cgroup within moments; give it half a second to do so.
            var session = CgroupTree.FindOwnCgroup(out _)!;
            second = Task.Factory.StartNew(CgroupTree.TryCreate, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            var deadline = DateTime.UtcNow.AddMilliseconds(500);
            while (nested.Count == 0 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
                nested.AddRange(Directory.EnumerateDirectories(session));
            }

            return SpawnSleep("306");
        });
        spawned.Succeeded.Should().BeTrue(spawned.Error);
        try
        {
            var (other, otherError) = await second!.WaitAsync(TimeSpan.FromSeconds(20));
            using var ownedOther = other;
            nested.Should().BeEmpty("nothing may be created inside a session's cgroup but by its own processes");
            other.Should().NotBeNull(otherError);
            Path.GetDirectoryName(other!.Branch).Should().Be(Path.GetDirectoryName(tree.Branch), "both branches belong under the broker's own cgroup");
            BrokersOwnCgroup().Should().Be(home, "the broker went back to its own cgroup after both");
        }
        finally
        {
            LibC.kill(spawned.ProcessId, 9);
            await Task.Run(() => ReapBlocking(spawned.ProcessId)).WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    /// <summary>A cgroup tree of the test's own, or null (checked) where the host gave the broker none either.</summary>
    private CgroupTree? TreeOrNoneWhereTheBrokerHasNone()
    {
        var (tree, error) = CgroupTree.TryCreate();
        if (tree is null)
        {
            _broker.Containment.UsesCgroups.Should().BeFalse(error);
        }

        return tree;
    }

    private static unsafe SpawnResult SpawnSleep(string seconds)
    {
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        var fd = (int)devNull.DangerousGetHandle();
        return ProcessSpawner.SpawnOnPipes(
            new SpawnRequest { Path = "/bin/sleep", Arguments = ["sleep", seconds], Environment = new Dictionary<string, string>() }, fd, fd, fd);
    }

    private static unsafe void ReapBlocking(int pid)
    {
        int status;
        LibC.waitpid(pid, &status, 0);
    }

    /// <summary>This process's cgroup, read while no spawn (of any fixture running in parallel) has moved it.</summary>
    private static string BrokersOwnCgroup()
    {
        lock (CgroupTree.SpawnLock)
        {
            return CgroupOf(Environment.ProcessId);
        }
    }

    private static string CgroupOf(int pid) =>
        File.ReadAllLines($"/proc/{pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..];

    private static List<int> Children(int pid) =>
        [.. File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline);
            Thread.Sleep(5);
        }
    }

    private async Task ExpectGoneOrDocumentedEscapeAsync(int daemon, int leader)
    {
        ProcessProbe.SessionMembers(leader).Should().NotContain(daemon, "the daemon left the POSIX session with setsid");
        if (_broker.Containment.UsesCgroups)
        {
            await ProcessProbe.WaitGoneAsync(daemon);
            return;
        }

        // Without a cgroup per session, only the session id finds processes: the daemon is the documented escape.
        await ProcessProbe.WaitGoneAsync(leader);
        ProcessProbe.IsAlive(daemon).Should().BeTrue();
        Process.GetProcessById(daemon).Kill();
    }

    [GeneratedRegex(@"leader:(\d+)")]
    private static partial Regex LeaderPattern();
}
