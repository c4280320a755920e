using System.Globalization;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Tests.Processes;

/// <summary>
/// The session cgroup made ahead (off an exec's path): each spare goes to exactly one session, lives in the broker's
/// branch, goes with the branch at shutdown, and is reclaimed with a dead broker's branch at the next start.
/// </summary>
public sealed class SpareCgroupTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly SpawnHelper _helper = new();

    public void Dispose() => _helper.Dispose();

    [SkippableFact]
    public async Task Two_sessions_alive_at_once_never_share_the_spare_and_each_is_born_in_its_own_cgroup()
    {
        using var tree = TreeOrSkip();
        var spare = tree.Spare;
        spare.Should().NotBeNull("a tree makes its first spare when it is set up");

        var (first, firstCgroup) = SpawnSleeper(tree);
        var (second, secondCgroup) = SpawnSleeper(tree);
        try
        {
            firstCgroup.Path.Should().Be(spare, "the first spawn takes the spare made ahead");
            secondCgroup.Path.Should().NotBe(firstCgroup.Path, "a spare is taken by one spawn only");
            CgroupOf(first).Should().EndWith("/" + Path.GetFileName(firstCgroup.Path));
            CgroupOf(second).Should().EndWith("/" + Path.GetFileName(secondCgroup.Path));
        }
        finally
        {
            await EndAsync(first, firstCgroup);
            await EndAsync(second, secondCgroup);
        }
    }

    [SkippableFact]
    public async Task A_new_spare_is_made_after_a_spawn_takes_one_and_is_not_the_one_taken()
    {
        using var tree = TreeOrSkip();
        var (pid, cgroup) = SpawnSleeper(tree);
        try
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (tree.Spare is null || tree.Spare == cgroup.Path)
            {
                DateTime.UtcNow.Should().BeBefore(deadline, "a spare is made on the thread pool after each spawn");
                await Task.Delay(5);
            }

            Directory.Exists(tree.Spare).Should().BeTrue();
            Path.GetDirectoryName(tree.Spare).Should().Be(tree.Branch, "a spare lives in the broker's branch, which goes with the broker");
        }
        finally
        {
            await EndAsync(pid, cgroup);
        }
    }

    [SkippableFact]
    public void Shutting_down_removes_the_spare_with_the_branch()
    {
        using var tree = TreeOrSkip();
        var spare = tree.Spare;
        spare.Should().NotBeNull();

        tree.Dispose();

        Directory.Exists(spare).Should().BeFalse();
        Directory.Exists(tree.Branch).Should().BeFalse();
    }

    [SkippableFact]
    public async Task A_spare_left_by_a_broker_that_died_is_removed_when_the_next_broker_starts()
    {
        using var live = TreeOrSkip();
        // The branch a broker that died would have left: its pid no longer runs, its spare is still there.
        var deadPid = await DeadPidAsync();
        var parts = Path.GetFileName(live.Branch).Split('-');
        var abandoned = Path.Combine(live.Home, $"{parts[0]}-{parts[1]}-{deadPid.ToString(CultureInfo.InvariantCulture)}-1");
        var leftover = Path.Combine(abandoned, "s7");
        Directory.CreateDirectory(leftover);
        try
        {
            var (next, error) = CgroupTree.TryCreate(_helper);
            next.Should().NotBeNull(error);
            next!.Dispose();

            Directory.Exists(leftover).Should().BeFalse("the dead broker's spare is reclaimed at the next start");
            Directory.Exists(abandoned).Should().BeFalse();
        }
        finally
        {
            if (Directory.Exists(leftover))
            {
                Directory.Delete(leftover);
            }

            if (Directory.Exists(abandoned))
            {
                Directory.Delete(abandoned);
            }
        }
    }

    private CgroupTree TreeOrSkip()
    {
        var (tree, error) = CgroupTree.TryCreate(_helper);
        Skip.If(tree is null, $"no cgroup per session on this host: {error}");
        return tree!;
    }

    private (int Pid, SessionCgroup Cgroup) SpawnSleeper(CgroupTree tree)
    {
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        var fd = (int)devNull.DangerousGetHandle();
        var (spawned, cgroup) = tree.Spawn(_helper, new SpawnRequest
        {
            Path = "/bin/sleep",
            Arguments = ["sleep", "60"],
            Environment = new Dictionary<string, string>(),
        }, new SpawnStdio.Pipes(fd, fd, fd));
        spawned.Succeeded.Should().BeTrue(spawned.Error);
        cgroup.Should().NotBeNull();
        return (spawned.ProcessId, cgroup!);
    }

    private static string CgroupOf(int pid) =>
        File.ReadAllLines($"/proc/{pid}/cgroup").Single(l => l.StartsWith("0::", StringComparison.Ordinal));

    private static async Task EndAsync(int pid, SessionCgroup cgroup)
    {
        using var child = new ChildProcess(pid, FdEventLoop.Shared);
        cgroup.Kill().Should().BeTrue();
        await child.Exited.WaitAsync(Timeout);
        (await cgroup.RemoveAsync().WaitAsync(Timeout)).Should().BeTrue();
    }

    private static async Task<int> DeadPidAsync()
    {
        using var process = System.Diagnostics.Process.Start("/bin/true");
        await process.WaitForExitAsync().WaitAsync(Timeout);
        return process.Id;
    }
}
