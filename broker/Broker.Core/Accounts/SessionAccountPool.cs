using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Broker.Core.Processes;
using Broker.Core.Sessions;

namespace Broker.Core.Accounts;

/// <summary>
/// Hands each session an account of its own from a fixed range of uids, so that one session cannot reach another's
/// terminal, processes, environment, private files or signals. An account serves one session at a time (a locked
/// lease file, across every broker process on the host). It is cleaned when its session ends (processes killed,
/// home emptied); before it serves another identity than its last one, its files in the host's shared writable
/// places are removed too. An identity gets back an account it used before when one is free, then any other free
/// account (swept first), and only when every account is in use is a new one created: the pool grows to the peak
/// number of concurrent sessions (and accounts being cleaned), never to the number of identities it has served.
/// </summary>
internal sealed class SessionAccountPool
{
    private static readonly ConcurrentDictionary<SessionAccountSettings, SessionAccountPool> s_pools = new();

    private readonly Lock _gate = new();
    private readonly HashSet<uint> _held = [];
    private readonly HashSet<uint> _unusable = [];
    private readonly ConcurrentDictionary<uint, bool> _verified = new();
    private readonly Dictionary<uint, LeaseState> _known = [];
    private readonly TimeProvider _time;
    private bool _prepared;

    private SessionAccountPool(SessionAccountSettings settings, TimeProvider time)
    {
        Settings = settings;
        _time = time;
    }

    public SessionAccountSettings Settings { get; }

    /// <summary>The one pool of this process for <paramref name="settings"/> (targets with equal settings share it).</summary>
    public static SessionAccountPool For(SessionAccountSettings settings) => s_pools.GetOrAdd(settings, s => new SessionAccountPool(s, TimeProvider.System));

    /// <summary>The key an identity is known by in lease files (a hash: the files do not name anyone).</summary>
    public static string IdentityKey(SessionOwner owner) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(owner.Issuer + "\0" + owner.Subject)))[..32];

    /// <summary>Leases an account for a session of <paramref name="owner"/>, ready to use; or why none can be had.</summary>
    public async Task<(AccountLease? Lease, string? Error)> LeaseAsync(SessionOwner owner, SpawnHelper helper, CancellationToken cancellationToken)
    {
        var identity = IdentityKey(owner);
        string? lastProblem = null;
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var (candidate, error) = Reserve(identity);
            if (candidate is null)
            {
                return (null, error ?? lastProblem);
            }

            var (lease, problem) = await MakeReadyAsync(candidate.Value, identity, helper, cancellationToken).ConfigureAwait(false);
            if (lease is not null)
            {
                return (lease, null);
            }

            lastProblem = problem;
        }

        return (null, lastProblem);
    }

    /// <summary>Records the end of a lease: its next state when given (else it stays as it is), then unlocks it.</summary>
    internal void Release(uint uid, LeaseFile file, LeaseState? next)
    {
        lock (_gate)
        {
            if (next is { } state && file.Write(state))
            {
                _known[uid] = state;
            }
            else
            {
                _known[uid] = file.Read();
            }

            file.Dispose();
            _held.Remove(uid);
        }
    }

    internal LeaseState Now(LeaseStatus status, string identity) => new(status, identity, _time.GetUtcNow().ToUnixTimeSeconds());

    /// <summary>Picks and locks an account (quick: no creation, no cleaning); the caller makes it ready.</summary>
    private ((uint Uid, LeaseFile File)? Candidate, string? Error) Reserve(string identity)
    {
        lock (_gate)
        {
            if (!_prepared)
            {
                if (AccountHomes.PrepareRoot(Settings) is { } problem)
                {
                    return (null, $"session accounts: {problem}");
                }

                LoadKnown();
                _prepared = true;
            }

            foreach (var uid in Candidates(identity))
            {
                var (file, error) = LeaseFile.TryAcquire(LeasePath(uid));
                if (error is not null)
                {
                    return (null, $"session accounts: {error}");
                }

                if (file is null)
                {
                    // Held by another broker process: what it wrote there is the best guess of what comes next.
                    _known[uid] = LeaseFile.Peek(LeasePath(uid)) ?? new LeaseState(LeaseStatus.Leased, "", 0);
                    continue;
                }

                _held.Add(uid);
                return ((uid, file), null);
            }

            return (null, $"all {Settings.Count} session accounts ({Settings.NameOf(Settings.FirstUid)} to {Settings.NameOf(Settings.FirstUid + (uint)Settings.Count - 1)}) are in use");
        }
    }

    /// <summary>
    /// The order accounts are tried in: this identity's clean ones (no sweep needed), then every other account that
    /// exists, clean ones first, least recently used first (a sweep makes them safe), and only then uids without an
    /// account yet. A sweep costs a short-lived cleaner process; a new account costs a host account that is never
    /// removed, which is why the pool used to grow with every identity that came along.
    /// </summary>
    private IEnumerable<uint> Candidates(string identity)
    {
        var free = _known.Where(k => !_held.Contains(k.Key) && !_unusable.Contains(k.Key)).ToList();
        foreach (var (uid, _) in free.Where(k => IsCleanFor(k.Value, identity)))
        {
            yield return uid;
        }

        foreach (var (uid, _) in free.Where(k => !IsCleanFor(k.Value, identity))
                     .OrderBy(k => k.Value.Status == LeaseStatus.Clean ? 0 : 1).ThenBy(k => k.Value.UnixSeconds))
        {
            yield return uid;
        }

        // Accounts another broker process made since this one looked come before uids that have none yet.
        var unknown = Enumerable.Range(0, Settings.Count).Select(n => Settings.FirstUid + (uint)n)
            .Where(uid => !_known.ContainsKey(uid) && !_unusable.Contains(uid)).ToList();
        foreach (var uid in unknown.Where(uid => File.Exists(LeasePath(uid))).Concat(unknown.Where(uid => !File.Exists(LeasePath(uid)))))
        {
            yield return uid;
        }
    }

    private static bool IsCleanFor(LeaseState state, string identity) => state.Status == LeaseStatus.Clean && state.Identity == identity;

    /// <summary>Creates the account if needed, makes its home, cleans what its last use left; the lease on success.</summary>
    private async Task<(AccountLease? Lease, string? Problem)> MakeReadyAsync((uint Uid, LeaseFile File) candidate, string identity, SpawnHelper helper, CancellationToken cancellationToken)
    {
        var (uid, file) = candidate;
        var account = new SessionAccount(Settings.NameOf(uid), uid, uid, Settings.HomeOf(uid));
        var previous = file.Read();
        string? problem;
        try
        {
            // An account found (or made) once stays: later leases do not ask the account database again.
            problem = _verified.ContainsKey(uid) ? null : await SystemAccounts.EnsureSessionAccountAsync(account.Name, uid, account.Home, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                lock (_gate)
                {
                    _unusable.Add(uid);
                }
            }
            else
            {
                _verified[uid] = true;
                problem = await PrepareAsync(account, previous, identity, helper).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            problem = $"cannot prepare {account.Name}: {ex.Message}";
        }

        if (problem is null && file.Write(Now(LeaseStatus.Leased, identity)))
        {
            return (new AccountLease(this, account, file, identity, helper), null);
        }

        // The lease stays as it was: unclean accounts are cleaned again by whoever leases them next.
        Release(uid, file, null);
        return (null, problem ?? $"cannot write the lease of {account.Name}");
    }

    private async Task<string?> PrepareAsync(SessionAccount account, LeaseState previous, string identity, SpawnHelper helper)
    {
        // One cleaned after this identity's own session holds only what this identity left in shared places. Anything
        // else (another identity's, one whose broker died mid-session, one new to this pool) is cleaned in full.
        var sweep = !IsCleanFor(previous, identity);
        var (ready, error) = AccountHomes.PrepareHome(Settings, account);
        if (error is not null)
        {
            return error;
        }

        if (!sweep && ready)
        {
            return null;
        }

        return await AccountCleaning.CleanAsync(helper, account, sweep).ConfigureAwait(false);
    }

    /// <summary>What the lease files on disk say, as a hint for the order of <see cref="Candidates"/>.</summary>
    private void LoadKnown()
    {
        foreach (var path in Directory.EnumerateFiles(Settings.LeasesDirectory))
        {
            if (uint.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                && uid >= Settings.FirstUid && uid < Settings.FirstUid + (uint)Settings.Count)
            {
                _known[uid] = LeaseFile.Peek(path) ?? new LeaseState(LeaseStatus.Leased, "", 0);
            }
        }
    }

    private string LeasePath(uint uid) => Path.Combine(Settings.LeasesDirectory, uid.ToString(CultureInfo.InvariantCulture));
}
