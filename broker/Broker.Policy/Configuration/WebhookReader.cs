using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>
/// Reads webhook entries (a role's <c>approvers.webhooks</c>, and <c>server.approvals.webhooks</c> for every role):
/// an http(s) URL and the HMAC key, read once from a file (relative to the policy file) or an environment variable.
/// </summary>
internal sealed class WebhookReader(YamlReader reader, string fileName)
{
    private const int MinWebhookSecretBytes = 16;

    /// <summary>The webhooks of a sequence node; entries with errors are reported and left out.</summary>
    public IReadOnlyList<WebhookDefinition> ReadList(YamlNode node, string what) =>
        [.. reader.Sequence(node, what).Select(Read).OfType<WebhookDefinition>()];

    private WebhookDefinition? Read(YamlNode node)
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
