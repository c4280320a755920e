using System.Globalization;
using Broker.Core.Accounts;
using Broker.Policy;

namespace Broker.Server.Configuration;

/// <summary>
/// Turns a target's <c>run_as</c> into the account its programs run as, checked against this host: the named
/// account exists, it is neither root nor the broker's own account (unless <c>run_as: broker</c> says so), and the
/// broker can switch to it (or the target says what to do when it cannot).
/// </summary>
internal static class TargetAccounts
{
    /// <summary>The resolved account, a line for the start-up log, and whether that line is a warning; or the error.</summary>
    public static (TargetAccount? Account, string? Description, bool Warning, string? Error) Resolve(TargetDefinition target, bool canSwitch, uint brokerUid)
    {
        var definition = target.Account;
        var where = definition.Location;
        if (definition.Kind == RunAsKind.Broker)
        {
            return (new TargetAccount.Broker { Reason = "run_as: broker" }, NoBoundary(target, brokerUid, $"run_as: broker at {where}"), true, null);
        }

        if (!canSwitch)
        {
            if (definition.WhenUnprivileged != UnprivilegedBehaviour.RunAsBroker)
            {
                return Failed($"{where}: target '{target.Name}' runs its sessions as {Wanted(definition)}, but {AccountPrivileges.WhyNot}; "
                    + "run the broker as root, or set when_unprivileged: run-as-broker to accept running them as the broker's own account");
            }

            return (new TargetAccount.Broker { Reason = "when_unprivileged: run-as-broker" },
                NoBoundary(target, brokerUid, $"the broker cannot switch accounts ({AccountPrivileges.WhyNot}) and when_unprivileged: run-as-broker allows that"),
                true,
                null);
        }

        switch (definition.Kind)
        {
            case RunAsKind.Name:
                if (SystemAccounts.ByName(definition.Name!) is not { } named)
                {
                    return Failed($"{where}: target '{target.Name}': run_as account '{definition.Name}' does not exist");
                }

                return Fixed(target, new SessionAccount(named.Name, named.Uid, named.Gid, named.Home), brokerUid);
            case RunAsKind.Ids:
                var byUid = SystemAccounts.ByUid(definition.Uid);
                var name = byUid?.Name ?? definition.Uid.ToString(CultureInfo.InvariantCulture);
                return Fixed(target, new SessionAccount(name, definition.Uid, definition.Gid, byUid?.Home ?? "/"), brokerUid);
            default:
                var settings = new SessionAccountSettings
                {
                    Prefix = definition.PoolPrefix ?? SessionAccountSettings.DefaultPrefix,
                    FirstUid = definition.PoolFirstUid ?? SessionAccountSettings.DefaultFirstUid,
                    Count = definition.PoolCount ?? SessionAccountSettings.DefaultCount,
                    Root = definition.PoolRoot ?? SessionAccountSettings.DefaultRoot,
                };
                var problems = settings.Validate();
                if (problems.Count > 0)
                {
                    return Failed($"{where}: target '{target.Name}': session_accounts {problems[0]}");
                }

                if (brokerUid >= settings.FirstUid && brokerUid < settings.FirstUid + (uint)settings.Count)
                {
                    return Failed($"{where}: target '{target.Name}': the session accounts' uids include the broker's own ({brokerUid})");
                }

                var last = settings.FirstUid + (uint)settings.Count - 1;
                return (new TargetAccount.PerSession(settings),
                    $"target '{target.Name}' runs each session as an account of its own: {settings.NameOf(settings.FirstUid)} to {settings.NameOf(last)} "
                    + $"(uids {settings.FirstUid}-{last}, created when first needed), homes under {settings.HomesDirectory}",
                    false,
                    null);
        }
    }

    private static (TargetAccount?, string?, bool, string?) Fixed(TargetDefinition target, SessionAccount account, uint brokerUid)
    {
        var where = target.Account.Location;
        if (account.Uid == 0 || account.Gid == 0 || account.Uid == brokerUid)
        {
            var who = account.Uid == brokerUid ? "the broker's own account" : account.Uid == 0 ? "root" : "the root group";
            return Failed($"{where}: target '{target.Name}' would run its sessions as {who} ({account.Name}, uid {account.Uid}, gid {account.Gid}): "
                + "nothing would stand between a session and the broker's keys; write run_as: broker to accept that explicitly");
        }

        return (new TargetAccount.Fixed(account),
            $"target '{target.Name}' runs every session as {account.Name} (uid {account.Uid}, gid {account.Gid}); its sessions can reach each other",
            false,
            null);
    }

    private static string NoBoundary(TargetDefinition target, uint brokerUid, string because) =>
        $"target '{target.Name}' runs its sessions as the broker's own account (uid {brokerUid}) because {because}: "
        + "no operating-system boundary, a session can read the broker's keys, recordings and memory";

    private static string Wanted(TargetAccountDefinition definition) => definition.Kind switch
    {
        RunAsKind.Name => $"account '{definition.Name}'",
        RunAsKind.Ids => $"uid {definition.Uid}",
        _ => "an account of their own (run_as: per-session)",
    };

    private static (TargetAccount?, string?, bool, string?) Failed(string error) => (null, null, false, error);
}
