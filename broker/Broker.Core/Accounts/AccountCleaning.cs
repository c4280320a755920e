using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Accounts;

/// <summary>
/// Removes what a session left under its account, run by the spawn helper as the account itself: every process of
/// the account killed, the home emptied (a fresh <c>tmp</c> made), and, before the account serves another identity,
/// its files in the host's shared writable places and its System V IPC objects removed.
/// </summary>
internal static class AccountCleaning
{
    /// <summary>The world-writable places a session can leave files in besides its home, those that exist here.</summary>
    public static IReadOnlyList<string> SharedDirectories { get; } =
        [.. new[] { "/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue", "/run/lock" }.Where(Directory.Exists)];

    private static readonly TimeSpan s_patience = TimeSpan.FromMinutes(2);

    /// <summary>Cleans the account; null when it is clean, else what failed (the account is then not handed out clean).</summary>
    public static async Task<string?> CleanAsync(SpawnHelper helper, SessionAccount account, bool sweep)
    {
        var (pid, error) = helper.StartCleaning(new SpawnAccount(account.Uid, account.Gid), account.Home, SharedDirectories, sweep);
        if (error is not null)
        {
            return error;
        }

        using var cleaner = new ChildProcess(pid, FdEventLoop.Shared);
        ProcessExit exit;
        try
        {
            exit = await cleaner.Exited.WaitAsync(s_patience).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A tree too large to walk in time: the account stays unclean and is cleaned again at its next lease.
            LibC.kill(pid, 9);
            await cleaner.Exited.ConfigureAwait(false);
            return $"cleaning {account.Name} took longer than {s_patience.TotalSeconds:0} s";
        }

        return exit.Code == 0 ? null : $"cleaning {account.Name}: {SpawnHelperStages.Describe((SpawnHelperStage)exit.Code)}";
    }
}
