using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>Reads a target's account keys: <c>run_as</c>, <c>when_unprivileged</c>, <c>session_accounts</c>, <c>umask</c>.</summary>
internal static partial class TargetAccountReader
{
    /// <summary>The keys this reader owns in a target's mapping.</summary>
    public static readonly string[] Keys = ["run_as", "when_unprivileged", "session_accounts", "umask"];

    public static TargetAccountDefinition Read(YamlReader reader, string fileName, Dictionary<string, YamlNode> fields, YamlNode target)
    {
        var runAsNode = fields.GetValueOrDefault("run_as");
        var at = runAsNode ?? target;
        var account = new TargetAccountDefinition { Location = $"{fileName}:{at.Start.Line}:{at.Start.Column}" };
        if (runAsNode is not null && reader.String(runAsNode, "run_as") is { } runAs)
        {
            account = ParseRunAs(reader, runAsNode, runAs, account);
        }

        if (fields.TryGetValue("when_unprivileged", out var whenNode) && reader.String(whenNode, "when_unprivileged") is { } when)
        {
            switch (when)
            {
                case "refuse":
                    break;
                case "run-as-broker":
                    account = account with { WhenUnprivileged = UnprivilegedBehaviour.RunAsBroker };
                    break;
                default:
                    reader.Error(whenNode, $"when_unprivileged '{when}' must be refuse or run-as-broker");
                    break;
            }
        }

        if (fields.TryGetValue("session_accounts", out var poolNode))
        {
            if (account.Kind != RunAsKind.PerSession)
            {
                reader.Error(poolNode, "session_accounts applies only to run_as: per-session");
            }

            account = ReadPool(reader, poolNode, account);
        }

        if (fields.TryGetValue("umask", out var umaskNode) && reader.String(umaskNode, "umask") is { } umask)
        {
            if (umask.Length is < 1 or > 4 || umask.Any(c => c is < '0' or > '7'))
            {
                reader.Error(umaskNode, $"umask '{umask}' must be an octal mode such as 077 or 022");
            }
            else
            {
                account = account with { Umask = Convert.ToUInt32(umask, 8) & Convert.ToUInt32("777", 8) };
            }
        }

        return account;
    }

    private static TargetAccountDefinition ParseRunAs(YamlReader reader, YamlNode node, string runAs, TargetAccountDefinition account)
    {
        if (runAs == "per-session")
        {
            return account;
        }

        if (runAs == "broker")
        {
            return account with { Kind = RunAsKind.Broker };
        }

        var ids = IdsPattern().Match(runAs);
        if (ids.Success)
        {
            if (!uint.TryParse(ids.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                || !uint.TryParse(ids.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
                || uid == uint.MaxValue || gid == uint.MaxValue)
            {
                reader.Error(node, $"run_as '{runAs}' is not a valid uid:gid");
                return account;
            }

            return account with { Kind = RunAsKind.Ids, Uid = uid, Gid = gid };
        }

        if (!NamePattern().IsMatch(runAs))
        {
            reader.Error(node, $"run_as '{runAs}' must be per-session, broker, an account name or uid:gid");
            return account;
        }

        return account with { Kind = RunAsKind.Name, Name = runAs };
    }

    private static TargetAccountDefinition ReadPool(YamlReader reader, YamlNode node, TargetAccountDefinition account)
    {
        var fields = reader.Mapping(node, "session_accounts", "prefix", "uids", "root");
        if (fields is null)
        {
            return account;
        }

        if (fields.TryGetValue("prefix", out var prefixNode) && reader.String(prefixNode, "session_accounts prefix") is { } prefix)
        {
            account = account with { PoolPrefix = prefix };
        }

        if (fields.TryGetValue("uids", out var uidsNode) && reader.String(uidsNode, "session_accounts uids") is { } uids)
        {
            var range = RangePattern().Match(uids);
            if (!range.Success
                || !uint.TryParse(range.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !uint.TryParse(range.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                || last < first || last - first >= 100_000)
            {
                reader.Error(uidsNode, $"session_accounts uids '{uids}' must be a range FIRST-LAST of at most 100000 uids");
            }
            else
            {
                account = account with { PoolFirstUid = first, PoolCount = (int)(last - first + 1) };
            }
        }

        if (fields.TryGetValue("root", out var rootNode) && reader.String(rootNode, "session_accounts root") is { } root)
        {
            account = account with { PoolRoot = root };
        }

        return account;
    }

    [GeneratedRegex(@"^(\d+):(\d+)$")]
    private static partial Regex IdsPattern();

    [GeneratedRegex(@"^[a-z_][a-z0-9_.-]*\$?$", RegexOptions.IgnoreCase)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(\d+)-(\d+)$")]
    private static partial Regex RangePattern();
}
