using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>A role's <c>approvers</c> section: groups, quorum, timeouts, required claims and webhooks.</summary>
internal sealed partial class PolicyDocumentReader
{
    private const int MinWebhookSecretBytes = 16;

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
            settings = settings with { Webhooks = [.. reader.Sequence(webhooksNode, "approvers webhooks").Select(ReadWebhook).OfType<WebhookDefinition>()] };
        }

        return settings;
    }

    private WebhookDefinition? ReadWebhook(YamlNode node)
    {
        var fields = reader.Mapping(node, "a webhook", "url", "secret_file", "secret_env");
        if (fields is null || reader.RequiredString(fields, node, "url", "a webhook") is not { } url)
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            reader.Error(fields["url"], $"webhook url '{url}' must be an absolute http:// or https:// URL");
            return null;
        }

        var hasFile = fields.TryGetValue("secret_file", out var fileNode);
        var hasEnv = fields.TryGetValue("secret_env", out var envNode);
        if (hasFile == hasEnv)
        {
            reader.Error(node, "a webhook needs exactly one of 'secret_file' or 'secret_env' (the HMAC key its receiver checks)");
            return null;
        }

        var secret = hasFile ? ReadSecretFile(fileNode!) : ReadSecretEnvironment(envNode!);
        if (secret is null)
        {
            return null;
        }

        if (secret.Length < MinWebhookSecretBytes)
        {
            reader.Error(hasFile ? fileNode! : envNode!, $"the webhook secret must be at least {MinWebhookSecretBytes} bytes");
            return null;
        }

        return new WebhookDefinition { Url = uri, Secret = secret };
    }

    private byte[]? ReadSecretFile(YamlNode node)
    {
        if (reader.String(node, "webhook secret_file") is not { Length: > 0 } path)
        {
            return null;
        }

        var full = Path.IsPathRooted(path) ? path : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? "/", path);
        try
        {
            return System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(full).Trim());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reader.Error(node, $"cannot read webhook secret_file '{full}': {e.Message}");
            return null;
        }
    }

    private byte[]? ReadSecretEnvironment(YamlNode node)
    {
        if (reader.String(node, "webhook secret_env") is not { Length: > 0 } name)
        {
            return null;
        }

        if (Environment.GetEnvironmentVariable(name) is not { Length: > 0 } value)
        {
            reader.Error(node, $"webhook secret_env '{name}' is not set");
            return null;
        }

        return System.Text.Encoding.UTF8.GetBytes(value);
    }
}
