using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>
/// Reads <c>server.recording.object_store</c>. The access key, when given, comes from files (relative to the
/// policy file) or environment variables and is read here, so that a missing file or variable stops the broker
/// at start with its line rather than at the first upload.
/// </summary>
internal sealed partial class ObjectStoreSectionReader(YamlReader reader, string fileName)
{
    private const string What = "server recording object_store";

    public ObjectStoreDefinition? Read(YamlNode node)
    {
        var fields = reader.Mapping(
            node, What, "bucket", "prefix", "endpoint", "region", "path_style",
            "access_key_id_file", "access_key_id_env", "secret_access_key_file", "secret_access_key_env");
        if (fields is null || reader.RequiredString(fields, node, "bucket", What) is not { } bucket)
        {
            return null;
        }

        var valid = true;
        if (!BucketName().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
        {
            reader.Error(fields["bucket"], $"{What} bucket '{bucket}' is not a bucket name (3 to 63 lowercase letters, digits, dots and dashes, starting and ending with a letter or digit)");
            valid = false;
        }

        var store = new ObjectStoreDefinition { Bucket = bucket };
        if (fields.TryGetValue("prefix", out var prefixNode) && reader.String(prefixNode, What + " prefix") is { } prefix)
        {
            if (prefix.Length > 0 && (!KeyPrefix().IsMatch(prefix) || prefix.Contains("//", StringComparison.Ordinal)))
            {
                reader.Error(prefixNode, $"{What} prefix '{prefix}' must be path segments of letters, digits, '.', '_' and '-' separated by single slashes, without a leading or trailing slash");
                valid = false;
            }

            store = store with { Prefix = prefix };
        }

        if (fields.TryGetValue("endpoint", out var endpointNode) && reader.String(endpointNode, What + " endpoint") is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.UserInfo.Length > 0)
            {
                reader.Error(endpointNode, $"{What} endpoint '{endpoint}' must be an absolute http:// or https:// URL without credentials");
                valid = false;
            }
            else
            {
                store = store with { Endpoint = uri };
            }
        }

        if (fields.TryGetValue("region", out var regionNode) && reader.String(regionNode, What + " region") is { } region)
        {
            if (!RegionName().IsMatch(region))
            {
                reader.Error(regionNode, $"{What} region '{region}' is not a region name (lowercase letters, digits and dashes)");
                valid = false;
            }

            store = store with { Region = region };
        }

        if (fields.TryGetValue("path_style", out var pathStyleNode) && reader.Boolean(pathStyleNode, What + " path_style") is { } pathStyle)
        {
            store = store with { PathStyle = pathStyle };
        }

        var id = Secret(fields, node, "access_key_id");
        var secret = Secret(fields, node, "secret_access_key");
        if (id.Given != secret.Given)
        {
            reader.Error(node, $"{What} needs both an access key id and a secret access key (each from a _file or an _env), or neither for the SDK's default credentials");
            valid = false;
        }
        else if (id.Value is { } keyId && secret.Value is { } key)
        {
            store = store with { Credentials = new ObjectStoreCredentials(keyId, key) };
        }
        else if (id.Given)
        {
            valid = false;
        }

        return valid ? store : null;
    }

    /// <summary>One of <c>NAME_file</c> or <c>NAME_env</c>: whether either was given, and the value when it could be read.</summary>
    private (bool Given, string? Value) Secret(Dictionary<string, YamlNode> fields, YamlNode owner, string name)
    {
        var hasFile = fields.TryGetValue(name + "_file", out var fileNode);
        var hasEnv = fields.TryGetValue(name + "_env", out var envNode);
        if (hasFile && hasEnv)
        {
            reader.Error(owner, $"{What} takes one of '{name}_file' or '{name}_env', not both");
            return (true, null);
        }

        if (hasFile && reader.String(fileNode!, $"{What} {name}_file") is { Length: > 0 } path)
        {
            var full = Path.GetFullPath(path, Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? "/");
            try
            {
                return File.ReadAllText(full).Trim() is { Length: > 0 } value
                    ? (true, value)
                    : Fail(fileNode!, $"{What} {name}_file '{full}' is empty");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail(fileNode!, $"cannot read {What} {name}_file '{full}': {e.Message}");
            }
        }

        if (hasEnv && reader.String(envNode!, $"{What} {name}_env") is { Length: > 0 } variable)
        {
            return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
                ? (true, value.Trim())
                : Fail(envNode!, $"{What} {name}_env '{variable}' is not set");
        }

        return (hasFile || hasEnv, null);
    }

    private (bool, string?) Fail(YamlNode node, string message)
    {
        reader.Error(node, message);
        return (true, null);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    [GeneratedRegex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")]
    private static partial Regex KeyPrefix();

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex RegionName();
}
