using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>The keys of a target of kind <c>ssm</c>.</summary>
internal sealed partial class PolicyDocumentReader
{
    private static readonly string[] SsmTargetKeys = ["instance_id", "instance_tags", "region", "endpoint_url", "shell_document", "command_document", "role_arn"];

    private SsmTargetDefinition ReadSsmTarget(Dictionary<string, YamlNode> fields, YamlNode item)
    {
        var region = reader.RequiredString(fields, item, "region", "an ssm target");
        if (region is not null && !RegionPattern().IsMatch(region))
        {
            reader.Error(fields["region"], $"region '{region}' is not an AWS region name");
        }

        var ssm = new SsmTargetDefinition { Region = region ?? string.Empty };
        var hasId = fields.TryGetValue("instance_id", out var idNode);
        var hasTags = fields.TryGetValue("instance_tags", out var tagsNode);
        if (hasId == hasTags)
        {
            // A session must land on the instance somebody chose: exactly one way of naming it.
            reader.Error(hasId ? tagsNode! : item, hasId
                ? "an ssm target names its instance by instance_id or by instance_tags, not both"
                : "an ssm target needs 'instance_id' (i-… or mi-…) or 'instance_tags' (the one online instance with those tags)");
        }

        if (idNode is not null && reader.String(idNode, "instance_id") is { } id)
        {
            if (!InstanceIdPattern().IsMatch(id))
            {
                reader.Error(idNode, $"instance_id '{id}' is not an instance id (i- and 8 or 17 hex digits, or mi- and 17)");
            }

            ssm = ssm with { InstanceId = id };
        }

        if (tagsNode is not null)
        {
            ssm = ssm with { InstanceTags = ReadInstanceTags(tagsNode) };
        }

        if (fields.TryGetValue("endpoint_url", out var urlNode) && HttpUrl(urlNode, "endpoint_url") is { } url)
        {
            ssm = ssm with { EndpointUrl = url };
        }

        if (fields.TryGetValue("shell_document", out var shellNode) && Document(shellNode, "shell_document") is { } shellDocument)
        {
            ssm = ssm with { ShellDocument = shellDocument };
        }

        if (fields.TryGetValue("command_document", out var commandNode) && Document(commandNode, "command_document") is { } commandDocument)
        {
            ssm = ssm with { CommandDocument = commandDocument };
        }

        if (fields.TryGetValue("role_arn", out var roleNode) && reader.String(roleNode, "role_arn") is { } arn)
        {
            if (!AwsRoleSettings.IsRoleArn(arn))
            {
                reader.Error(roleNode, $"role_arn '{arn}' is not an IAM role ARN (arn:aws:iam::123456789012:role/name)");
            }

            ssm = ssm with { RoleArn = arn };
        }

        return ssm;
    }

    private Dictionary<string, string> ReadInstanceTags(YamlNode node)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in reader.FreeMapping(node, "instance_tags") ?? [])
        {
            if (reader.String(value, $"instance tag '{key.Value}'") is not { } text)
            {
                continue;
            }

            if (!AwsRoleSettings.IsValidTag(key.Value!, text) || text.Length == 0)
            {
                reader.Error(key, $"instance tag '{key.Value}': keys are 1-128 and values 1-256 characters of letters, digits, spaces and _.:/=+-@");
            }

            tags[key.Value!] = text;
        }

        if (node is YamlMappingNode { Children.Count: 0 })
        {
            reader.Error(node, "instance_tags needs at least one tag");
        }

        return tags;
    }

    private string? Document(YamlNode node, string what)
    {
        var name = reader.String(node, what);
        if (name is not null && !DocumentNamePattern().IsMatch(name))
        {
            reader.Error(node, $"{what} '{name}' is not an SSM document name (3-128 letters, digits, '_', '-' and '.')");
            return null;
        }

        return name;
    }

    [GeneratedRegex("^(i-[0-9a-f]{8}([0-9a-f]{9})?|mi-[0-9a-f]{17})$")]
    private static partial Regex InstanceIdPattern();

    [GeneratedRegex("^[A-Za-z0-9_.-]{3,128}$")]
    private static partial Regex DocumentNamePattern();
}
