using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>A role's <c>aws</c> settings and the <c>sts</c> section.</summary>
internal sealed partial class PolicyDocumentReader
{
    // The session tags AwsCredentialBroker sets on every AssumeRole; STS allows 50 in all.
    private static readonly string[] ReservedTagKeys = ["agent", "issuer", "session", "role"];
    private const int MaximumExtraTags = 50 - 4;
    private const int MaximumSessionPolicyLength = 2048;

    private AwsRoleSettings? ReadAws(YamlNode node)
    {
        var fields = reader.Mapping(node, "aws", "role_arn", "duration", "session_policy", "tags", "region");
        if (fields is null)
        {
            return null;
        }

        var arn = reader.RequiredString(fields, node, "role_arn", "aws");
        if (arn is not null && !RoleArnPattern().IsMatch(arn))
        {
            reader.Error(fields["role_arn"], $"role_arn '{arn}' is not an IAM role ARN (arn:aws:iam::123456789012:role/name)");
        }

        var settings = new AwsRoleSettings { RoleArn = arn ?? string.Empty };
        if (fields.TryGetValue("duration", out var durationNode) && reader.Duration(durationNode, "aws duration", TimeSpan.FromSeconds(900), TimeSpan.FromHours(12)) is { } duration)
        {
            settings = settings with { Duration = duration };
        }

        if (fields.TryGetValue("session_policy", out var policyNode) && reader.String(policyNode, "session_policy") is { } policy)
        {
            try
            {
                using var json = JsonDocument.Parse(policy);
                if (json.RootElement.ValueKind != JsonValueKind.Object)
                {
                    reader.Error(policyNode, "session_policy must be a JSON object");
                }
            }
            catch (JsonException e)
            {
                reader.Error(policyNode, "session_policy is not valid JSON: " + e.Message);
            }

            if (policy.Length > MaximumSessionPolicyLength)
            {
                reader.Error(policyNode, $"session_policy is longer than the {MaximumSessionPolicyLength} characters STS accepts");
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
                    if (ReservedTagKeys.Contains(key.Value!, StringComparer.OrdinalIgnoreCase) || key.Value!.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
                    {
                        reader.Error(key, $"tag '{key.Value}' is reserved: the broker sets {string.Join(", ", ReservedTagKeys)} itself");
                    }
                    else if (key.Value!.Length > 128 || text.Length > 256 || !TagTextPattern().IsMatch(key.Value) || !TagTextPattern().IsMatch(text))
                    {
                        reader.Error(key, $"tag '{key.Value}': keys are 1-128 and values 0-256 characters of letters, digits, spaces and _.:/=+-@");
                    }

                    tags[key.Value!] = text;
                }
            }

            if (tags.Count > MaximumExtraTags)
            {
                reader.Error(tagsNode, $"at most {MaximumExtraTags} tags fit beside the broker's own");
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

        if (fields.TryGetValue("service_url", out var urlNode) && reader.String(urlNode, "sts service_url") is { } url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(uri.UserInfo))
            {
                sts = sts with { ServiceUrl = uri };
            }
            else
            {
                reader.Error(urlNode, $"sts service_url '{url}' must be an absolute http(s) URL without user information");
            }
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


    [GeneratedRegex(@"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")]
    private static partial Regex RoleArnPattern();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    private static partial Regex TagTextPattern();

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-\\d$")]
    private static partial Regex RegionPattern();
}
