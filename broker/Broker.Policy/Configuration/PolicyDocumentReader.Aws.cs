using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>A role's <c>aws</c> settings and the <c>sts</c> section.</summary>
internal sealed partial class PolicyDocumentReader
{
    private AwsRoleSettings? ReadAws(YamlNode node)
    {
        var fields = reader.Mapping(node, "aws", "role_arn", "duration", "session_policy", "tags", "region");
        if (fields is null)
        {
            return null;
        }

        var arn = reader.RequiredString(fields, node, "role_arn", "aws");
        if (arn is not null && !AwsRoleSettings.IsRoleArn(arn))
        {
            reader.Error(fields["role_arn"], $"role_arn '{arn}' is not an IAM role ARN (arn:aws:iam::123456789012:role/name)");
        }

        var settings = new AwsRoleSettings { RoleArn = arn ?? string.Empty };
        if (fields.TryGetValue("duration", out var durationNode) && reader.Duration(durationNode, "aws duration", AwsRoleSettings.MinimumDuration, AwsRoleSettings.MaximumDuration) is { } duration)
        {
            settings = settings with { Duration = duration };
        }

        if (fields.TryGetValue("session_policy", out var policyNode) && reader.String(policyNode, "session_policy") is { } policy)
        {
            if (AwsRoleSettings.SessionPolicyProblem(policy) is { } problem)
            {
                reader.Error(policyNode, problem);
            }

            settings = settings with { SessionPolicy = policy };
        }

        if (fields.TryGetValue("tags", out var tagsNode))
        {
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in reader.FreeMapping(tagsNode, "tags") ?? [])
            {
                if (reader.String(value, $"tag '{key.Value}'") is { } text)
                {
                    if (AwsRoleSettings.IsReservedTagKey(key.Value!))
                    {
                        reader.Error(key, $"tag '{key.Value}' is reserved: the broker sets {string.Join(", ", AwsRoleSettings.ReservedTagKeys)} itself");
                    }
                    else if (!AwsRoleSettings.IsValidTag(key.Value!, text))
                    {
                        reader.Error(key, $"tag '{key.Value}': keys are 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@");
                    }

                    tags[key.Value!] = text;
                }
            }

            if (tags.Count > AwsRoleSettings.MaximumExtraTags)
            {
                reader.Error(tagsNode, $"at most {AwsRoleSettings.MaximumExtraTags} tags fit beside the broker's own");
            }

            settings = settings with { Tags = tags };
        }

        if (fields.TryGetValue("region", out var regionNode) && reader.String(regionNode, "region") is { } region)
        {
            if (!RegionPattern().IsMatch(region))
            {
                reader.Error(regionNode, $"region '{region}' is not an AWS region name");
            }

            settings = settings with { Region = region };
        }

        return arn is null ? null : settings;
    }

    private StsDefinition ReadSts(YamlNode node)
    {
        var sts = new StsDefinition();
        var fields = reader.Mapping(node, "sts", "service_url", "region", "request_timeout", "credentials_endpoint_port");
        if (fields is null)
        {
            return sts;
        }

        if (fields.TryGetValue("service_url", out var urlNode) && HttpUrl(urlNode, "sts service_url") is { } uri)
        {
            sts = sts with { ServiceUrl = uri };
        }

        if (fields.TryGetValue("region", out var regionNode) && reader.String(regionNode, "sts region") is { } region)
        {
            if (!RegionPattern().IsMatch(region))
            {
                reader.Error(regionNode, $"region '{region}' is not an AWS region name");
            }

            sts = sts with { Region = region };
        }

        if (fields.TryGetValue("request_timeout", out var timeoutNode) && reader.Duration(timeoutNode, "sts request_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)) is { } timeout)
        {
            sts = sts with { RequestTimeout = timeout };
        }

        if (fields.TryGetValue("credentials_endpoint_port", out var portNode) && reader.Integer(portNode, "sts credentials_endpoint_port", 0, 65535) is { } port)
        {
            sts = sts with { CredentialsEndpointPort = port };
        }

        return sts;
    }

    /// <summary>An endpoint override: an absolute http(s) URL without user information (it would be sent to the service), else reported.</summary>
    private Uri? HttpUrl(YamlNode node, string what)
    {
        if (reader.String(node, what) is not { } url)
        {
            return null;
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(uri.UserInfo))
        {
            return uri;
        }

        reader.Error(node, $"{what} '{url}' must be an absolute http(s) URL without user information");
        return null;
    }

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-\\d$")]
    private static partial Regex RegionPattern();
}
