using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>A role's <c>approvers</c> section: groups, quorum, timeouts, required claims and webhooks.</summary>
internal sealed partial class PolicyDocumentReader
{
    private ApproverSettings? ReadApprovers(YamlNode node)
    {
        var fields = reader.Mapping(node, "approvers", "groups", "quorum", "timeout", "execution_window", "require_claims", "webhooks");
        if (fields is null)
        {
            return null;
        }

        if (!fields.TryGetValue("groups", out var groupsNode))
        {
            reader.Error(node, "approvers needs 'groups'");
            return null;
        }

        var settings = new ApproverSettings { Groups = reader.StringList(groupsNode, "approver groups") };
        if (settings.Groups.Count == 0)
        {
            reader.Error(groupsNode, "approvers needs at least one group");
        }

        if (fields.TryGetValue("quorum", out var quorumNode))
        {
            if (quorumNode is YamlScalarNode { Value: "each-group" })
            {
                settings = settings with { OneFromEachGroup = true };
            }
            else if (quorumNode is YamlScalarNode { Value: { } text } && !text.All(char.IsAsciiDigit))
            {
                reader.Error(quorumNode, $"quorum '{text}' must be a number of approvers (1..100) or each-group");
            }
            else if (reader.Integer(quorumNode, "quorum", 1, 100) is { } quorum)
            {
                settings = settings with { Quorum = quorum };
            }
        }

        if (fields.TryGetValue("timeout", out var timeoutNode) && reader.Duration(timeoutNode, "approval timeout", TimeSpan.FromSeconds(10), TimeSpan.FromDays(7)) is { } timeout)
        {
            settings = settings with { Timeout = timeout };
        }

        if (fields.TryGetValue("execution_window", out var windowNode) && reader.Duration(windowNode, "approval execution_window", TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)) is { } window)
        {
            settings = settings with { ExecutionWindow = window };
        }

        if (fields.TryGetValue("require_claims", out var claimsNode) && reader.FreeMapping(claimsNode, "approvers require_claims") is { } claims)
        {
            var required = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var (key, value) in claims)
            {
                var values = reader.StringList(value, $"required claim '{key.Value}'");
                if (values.Count == 0)
                {
                    reader.Error(value, $"required claim '{key.Value}' needs at least one value");
                }

                required[key.Value!] = values;
            }

            settings = settings with { RequiredClaims = required };
        }

        if (fields.TryGetValue("webhooks", out var webhooksNode))
        {
            settings = settings with { Webhooks = new WebhookReader(reader, fileName).ReadList(webhooksNode, "approvers webhooks") };
        }

        return settings;
    }
}
