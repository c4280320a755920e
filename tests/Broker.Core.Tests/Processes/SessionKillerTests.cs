using System.Text;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Tests.Processes;

public sealed class SessionKillerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("1234 (bash) S 1 1234 1234 34816 1234 4194560", 1234)]
    [InlineData("77 (a) b) c) R 1 77 4321 0 -1", 4321)]
    [InlineData("77 (x y z) S 1 77 99 0 -1", 99)]
    [InlineData("77 ()) S 1 77 55 0 -1", 55)]
    [InlineData("77 (\n) S 1 77 56 0 -1", 56)]
    [InlineData("77 (S 1 2 3) S 1 77 57 0 -1", 57)]
    public void The_session_id_is_read_after_the_last_parenthesis_whatever_the_command_name(string stat, int session)
    {
        SessionKiller.ParseSessionId(Encoding.UTF8.GetBytes(stat)).Should().Be(session);
    }

    [Theory]
    [InlineData("1234 (bash) Z 1 1234 1234 0 -1")]
    [InlineData("1234 (bash) X 1 1234 1234 0 -1")]
    [InlineData("1234 (bash) S 1 1234")]
    [InlineData("1234 (bash) S 1 1234 12x4 0")]
    [InlineData("1234 (bash) S 1 1234 -5x 0")]
    [InlineData("1234 bash S 1 1234 1234 0")]
    [InlineData("1234 (bash)")]
    [InlineData("1234 (bash) ")]
    [InlineData("")]
    [InlineData("1234 (bash) SS 1 1234 1234 0")]
    public void Zombies_and_malformed_lines_belong_to_no_session(string stat)
    {
        SessionKiller.ParseSessionId(Encoding.UTF8.GetBytes(stat)).Should().Be(-1);
    }

    // The test process's own session cannot be used: in a container its session leader may live outside
    // the pid namespace, and /proc then reports session 0.
    [Fact]
    public async Task A_spawned_leader_and_its_children_are_found_by_session_and_all_killed()
    {
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        var fd = (int)devNull.DangerousGetHandle();
        var spawned = ProcessSpawner.SpawnOnPipes(
            new SpawnRequest { Path = "/bin/sh", Arguments = ["sh", "-c", "sleep 100 & sleep 101 & wait"], Environment = new Dictionary<string, string>() },
            fd,
            fd,
            fd);
        spawned.Succeeded.Should().BeTrue(spawned.Error);
        var leader = spawned.ProcessId;
        try
        {
            var stat = await File.ReadAllBytesAsync($"/proc/{leader}/stat").WaitAsync(Timeout);
            SessionKiller.ParseSessionId(stat).Should().Be(leader);
            await WaitUntilAsync(() => SessionKiller.FindMembers(leader).Count == 3);
            SessionKiller.FindMembers(leader).Should().Contain(leader).And.NotContain(Environment.ProcessId);
        }
        finally
        {
            SessionKiller.KillSession(leader).Should().BeTrue();
            Reap(leader);
        }

        // The children were sent SIGKILL; the kernel may still be tearing them down on a loaded machine.
        await WaitUntilAsync(() => SessionKiller.FindMembers(leader).Count == 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-5)]
    public void Session_ids_that_would_signal_the_broker_or_every_process_are_refused(int session)
    {
        var kill = () => SessionKiller.KillSession(session);
        kill.Should().Throw<ArgumentOutOfRangeException>();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    private static unsafe void Reap(int pid)
    {
        int status;
        LibC.waitpid(pid, &status, 0);
    }
}
