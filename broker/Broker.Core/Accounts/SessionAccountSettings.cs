using System.Globalization;
using System.Text.RegularExpressions;

namespace Broker.Core.Accounts;

/// <summary>
/// The broker's pool of per-session accounts: names <c>{Prefix}{n}</c> with uid and primary gid <c>FirstUid + n</c>
/// for n below <see cref="Count"/>, created when first needed (by a broker running as root), homes under
/// <c>{Root}/homes</c>, lease files under <c>{Root}/leases</c>.
/// </summary>
public sealed partial record SessionAccountSettings
{
    /// <summary>The default name prefix.</summary>
    public const string DefaultPrefix = "broker-s";

    /// <summary>The default first uid: above the 16-bit range Debian leaves to people and the system, below the subordinate ids (100000) container tools hand out.</summary>
    public const uint DefaultFirstUid = 70000;

    /// <summary>The default number of accounts.</summary>
    public const int DefaultCount = 1000;

    /// <summary>The default root directory.</summary>
    public const string DefaultRoot = "/var/lib/broker-sessions";

    /// <summary>Account names start with this.</summary>
    public string Prefix { get; init; } = DefaultPrefix;

    /// <summary>The first account's uid (and gid).</summary>
    public uint FirstUid { get; init; } = DefaultFirstUid;

    /// <summary>How many accounts the pool may have; at most this many sessions run at once.</summary>
    public int Count { get; init; } = DefaultCount;

    /// <summary>Where homes and lease files live.</summary>
    public string Root { get; init; } = DefaultRoot;

    /// <summary>The directory of the accounts' homes.</summary>
    public string HomesDirectory => Path.Combine(Root, "homes");

    /// <summary>The directory of the lease files (one per account, locked while a session uses it).</summary>
    public string LeasesDirectory => Path.Combine(Root, "leases");

    /// <summary>The name of the account with uid <paramref name="uid"/>.</summary>
    public string NameOf(uint uid) => Prefix + (uid - FirstUid).ToString(CultureInfo.InvariantCulture);

    /// <summary>The home of the account with uid <paramref name="uid"/>.</summary>
    public string HomeOf(uint uid) => Path.Combine(HomesDirectory, NameOf(uid));

    /// <summary>What is wrong with these settings, if anything (the loader adds the file and line).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!PrefixPattern().IsMatch(Prefix))
        {
            problems.Add($"prefix '{Prefix}' must start with a lowercase letter and use at most 20 lowercase letters, digits, '-' and '_'");
        }

        if (Count is < 1 or > 100_000)
        {
            problems.Add($"count {Count} must be between 1 and 100000");
        }
        else if (FirstUid < 1000 || (ulong)FirstUid + (ulong)Count > int.MaxValue)
        {
            problems.Add($"uids {FirstUid}-{(ulong)FirstUid + (ulong)Count - 1} must lie between 1000 and {int.MaxValue}");
        }

        if (!Path.IsPathRooted(Root) || Root.Split('/').Contains(".."))
        {
            problems.Add($"root '{Root}' must be an absolute path without '..'");
        }

        return problems;
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,19}$")]
    private static partial Regex PrefixPattern();
}
