using System.Text.Json;
using System.Text.RegularExpressions;
using Broker.Policy.Decisions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>Builds a <see cref="PolicyDocument"/> from the YAML tree, validating every section.</summary>
internal sealed partial class PolicyDocumentReader(YamlReader reader, string fileName)
{
    private static readonly string[] DefaultSystemDirectories = ["/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin", "/usr/local/sbin"];

    // The session tags AwsCredentialBroker sets on every AssumeRole; STS allows 50 in all.
    private static readonly string[] ReservedTagKeys = ["agent", "issuer", "session", "role"];
    private const int MaximumExtraTags = 50 - 4;
    private const int MaximumSessionPolicyLength = 2048;

    private readonly Dictionary<string, YamlNode> _roleNodes = new(StringComparer.Ordinal);

    public PolicyDocument? Read(YamlNode root)
    {
        var fields = reader.Mapping(root, "the policy", "version", "system_dirs", "issuers", "targets", "identities", "observers", "operators", "roles", "sts", "server");
        if (fields is null)
        {
            return null;
        }

        if (fields.TryGetValue("version", out var version) && reader.Integer(version, "version", 1, 1) is null)
        {
            return null;
        }

        var systemDirectories = new HashSet<string>(StringComparer.Ordinal);
        if (fields.TryGetValue("system_dirs", out var dirsNode))
        {
            foreach (var directory in reader.StringList(dirsNode, "system_dirs"))
            {
                var trimmed = directory.Length > 1 ? directory.TrimEnd('/') : directory;
                if (!trimmed.StartsWith('/') || trimmed.Contains("/./", StringComparison.Ordinal) || trimmed.Contains("..", StringComparison.Ordinal) || trimmed.Contains("//", StringComparison.Ordinal))
                {
                    reader.Error(dirsNode, $"system_dirs entry '{directory}' must be a normalised absolute path");
                }

                systemDirectories.Add(trimmed);
            }
        }
        else
        {
            systemDirectories.UnionWith(DefaultSystemDirectories);
        }

        var issuers = fields.TryGetValue("issuers", out var issuersNode) ? ReadIssuers(issuersNode) : [];
        var targets = fields.TryGetValue("targets", out var targetsNode) ? ReadTargets(targetsNode) : [];
        var engine = new PolicyEngine(systemDirectories);
        var roles = fields.TryGetValue("roles", out var rolesNode) ? ReadRoles(rolesNode, targets, engine) : [];
        var identities = fields.TryGetValue("identities", out var identitiesNode) ? ReadIdentities(identitiesNode, issuers, roles) : [];
        var observers = fields.TryGetValue("observers", out var observersNode) ? ReadGroups(observersNode, "observers") : [];
        var operators = fields.TryGetValue("operators", out var operatorsNode) ? ReadGroups(operatorsNode, "operators") : [];
        var sts = fields.TryGetValue("sts", out var stsNode) ? ReadSts(stsNode) : new StsDefinition();
        var server = fields.TryGetValue("server", out var serverNode) ? new ServerSectionReader(reader, fileName).Read(serverNode) : new ServerDefinition();

        return new PolicyDocument(fileName, systemDirectories, issuers, targets, identities, roles, observers, operators, sts) { Server = server };
    }

    private List<string> ReadGroups(YamlNode node, string what)
    {
        var fields = reader.Mapping(node, what, "groups");
        return fields is not null && fields.TryGetValue("groups", out var groups) ? reader.StringList(groups, what + " groups") : [];
    }

    private List<IssuerDefinition> ReadIssuers(YamlNode node)
    {
        var issuers = new List<IssuerDefinition>();
        foreach (var item in reader.Sequence(node, "issuers"))
        {
            var fields = reader.Mapping(item, "an issuer", "issuer", "audience", "required_claims", "algorithms");
            if (fields is null)
            {
                continue;
            }

            var issuer = reader.RequiredString(fields, item, "issuer", "an issuer");
            var audience = reader.RequiredString(fields, item, "audience", "an issuer");
            var claims = fields.TryGetValue("required_claims", out var claimsNode) ? ReadClaims(claimsNode, "required_claims") : [];
            IReadOnlyList<string> algorithms = ["RS256", "ES256"];
            if (fields.TryGetValue("algorithms", out var algorithmsNode))
            {
                var list = reader.StringList(algorithmsNode, "algorithms");
                foreach (var algorithm in list.Where(a => a is not "RS256" and not "ES256"))
                {
                    reader.Error(algorithmsNode, $"algorithm '{algorithm}' is not allowed; use RS256 or ES256");
                }

                if (list.Count == 0)
                {
                    reader.Error(algorithmsNode, "algorithms must not be empty");
                }

                algorithms = list;
            }

            if (issuer is not null && issuers.Any(i => i.Issuer == issuer))
            {
                reader.Error(item, $"issuer '{issuer}' is listed twice");
            }

            if (issuer is not null && audience is not null)
            {
                issuers.Add(new IssuerDefinition { Issuer = issuer, Audience = audience, RequiredClaims = claims, Algorithms = algorithms });
            }
        }

        return issuers;
    }

    private Dictionary<string, IReadOnlyList<string>> ReadClaims(YamlNode node, string what)
    {
        var claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (key, value) in reader.FreeMapping(node, what) ?? [])
        {
            var values = reader.StringList(value, $"claim '{key.Value}'");
            if (values.Count == 0)
            {
                reader.Error(value, $"claim '{key.Value}' needs at least one value");
            }

            claims[key.Value!] = values;
        }

        return claims;
    }

    private List<TargetDefinition> ReadTargets(YamlNode node)
    {
        var targets = new List<TargetDefinition>();
        foreach (var item in reader.Sequence(node, "targets"))
        {
            var fields = reader.Mapping(item, "a target", "name", "kind", "shell", "args", "working_directory", "environment", "max_sessions_per_identity", "idle_timeout", "max_duration", "max_recording_size");
            if (fields is null)
            {
                continue;
            }

            var name = reader.RequiredString(fields, item, "name", "a target");
            if (name is not null && !NamePattern().IsMatch(name))
            {
                reader.Error(fields["name"], $"target name '{name}' may only use letters, digits, '.', '_' and '-'");
            }

            if (name is not null && targets.Any(t => t.Name == name))
            {
                reader.Error(item, $"target '{name}' is defined twice");
            }

            if (fields.TryGetValue("kind", out var kindNode) && reader.String(kindNode, "kind") is { } kind && kind != "local-shell")
            {
                reader.Error(kindNode, $"target kind '{kind}' is not supported; use local-shell");
            }

            var target = new TargetDefinition { Name = name ?? string.Empty };
            if (fields.TryGetValue("shell", out var shellNode) && reader.String(shellNode, "shell") is { } shell)
            {
                if (!shell.StartsWith('/'))
                {
                    reader.Error(shellNode, "shell must be an absolute path");
                }

                target = target with { Shell = shell };
            }

            if (fields.TryGetValue("args", out var argsNode))
            {
                target = target with { Args = reader.StringList(argsNode, "args") };
            }

            if (fields.TryGetValue("working_directory", out var directoryNode) && reader.String(directoryNode, "working_directory") is { } directory)
            {
                target = target with { WorkingDirectory = directory };
            }

            if (fields.TryGetValue("environment", out var environmentNode))
            {
                var environment = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (key, value) in reader.FreeMapping(environmentNode, "environment") ?? [])
                {
                    if (reader.String(value, $"environment variable '{key.Value}'") is { } text)
                    {
                        environment[key.Value!] = text;
                    }
                }

                target = target with { Environment = environment };
            }

            if (fields.TryGetValue("max_sessions_per_identity", out var maxNode) && reader.Integer(maxNode, "max_sessions_per_identity", 1, 1000) is { } max)
            {
                target = target with { MaxSessionsPerIdentity = max };
            }

            if (fields.TryGetValue("idle_timeout", out var idleNode) && reader.Duration(idleNode, "idle_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)) is { } idle)
            {
                target = target with { IdleTimeout = idle };
            }

            if (fields.TryGetValue("max_duration", out var durationNode) && reader.Duration(durationNode, "max_duration", TimeSpan.FromSeconds(1), TimeSpan.FromDays(30)) is { } duration)
            {
                target = target with { MaxDuration = duration };
            }

            if (fields.TryGetValue("max_recording_size", out var capNode)
                && new ServerSectionReader(reader, fileName).Size(capNode, "max_recording_size", 64 * 1024, long.MaxValue) is { } cap)
            {
                target = target with { MaxRecordingBytes = cap };
            }

            if (name is not null)
            {
                targets.Add(target);
            }
        }

        return targets;
    }

    private List<IdentityRule> ReadIdentities(YamlNode node, List<IssuerDefinition> issuers, List<RoleDefinition> roles)
    {
        var rules = new List<IdentityRule>();
        foreach (var item in reader.Sequence(node, "identities"))
        {
            var fields = reader.Mapping(item, "an identity rule", "issuer", "claims", "roles");
            if (fields is null)
            {
                continue;
            }

            var issuer = reader.RequiredString(fields, item, "issuer", "an identity rule");
            if (issuer is not null && issuers.All(i => i.Issuer != issuer))
            {
                reader.Error(fields["issuer"], $"issuer '{issuer}' is not listed under issuers");
            }

            var claims = fields.TryGetValue("claims", out var claimsNode) ? ReadClaims(claimsNode, "claims") : [];
            List<string> granted = [];
            if (!fields.TryGetValue("roles", out var rolesNode))
            {
                reader.Error(item, "an identity rule needs 'roles'");
            }
            else
            {
                granted = reader.StringList(rolesNode, "roles");
                foreach (var role in granted.Where(r => roles.All(d => d.Name != r)))
                {
                    reader.Error(rolesNode, $"role '{role}' is not defined under roles");
                }
            }

            if (issuer is not null)
            {
                rules.Add(new IdentityRule { Issuer = issuer, Claims = claims, Roles = granted });
            }
        }

        return rules;
    }

    private List<RoleDefinition> ReadRoles(YamlNode node, List<TargetDefinition> targets, PolicyEngine engine)
    {
        var roles = new List<RoleDefinition>();
        foreach (var item in reader.Sequence(node, "roles"))
        {
            var fields = reader.Mapping(item, "a role", "name", "targets", "terminal", "default", "aws", "masking", "approvers", "rules");
            if (fields is null)
            {
                continue;
            }

            var name = reader.RequiredString(fields, item, "name", "a role");
            if (name is null)
            {
                continue;
            }

            if (!_roleNodes.TryAdd(name, item))
            {
                reader.Error(item, $"role '{name}' is defined twice");
            }

            var role = new RoleDefinition { Name = name };
            if (fields.TryGetValue("targets", out var targetsNode))
            {
                var patterns = reader.StringList(targetsNode, "targets");
                foreach (var pattern in patterns.Where(p => !targets.Any(t => new GlobPattern(p).IsMatch(t.Name))))
                {
                    reader.Error(targetsNode, $"role '{name}' lists target '{pattern}', which matches no target");
                }

                role = role with { Targets = patterns };
            }

            if (fields.TryGetValue("terminal", out var terminalNode) && reader.String(terminalNode, "terminal") is { } terminal)
            {
                if (terminal is "line" or "raw")
                {
                    role = role with { Terminal = terminal == "raw" ? TerminalMode.Raw : TerminalMode.Line };
                }
                else
                {
                    reader.Error(terminalNode, "terminal must be 'line' or 'raw'");
                }
            }

            if (fields.TryGetValue("default", out var defaultNode) && reader.String(defaultNode, "default") is { } fallback)
            {
                if (fallback is "deny" or "review")
                {
                    role = role with { Default = fallback == "review" ? Verdict.Review : Verdict.Deny };
                }
                else
                {
                    reader.Error(defaultNode, $"default must be 'deny' or 'review' (never '{fallback}')");
                }
            }

            if (fields.TryGetValue("aws", out var awsNode))
            {
                role = role with { Aws = ReadAws(awsNode) };
            }

            if (fields.TryGetValue("masking", out var maskingNode))
            {
                role = role with { Masking = ReadMasking(maskingNode) };
            }

            if (fields.TryGetValue("approvers", out var approversNode))
            {
                role = role with { Approvers = ReadApprovers(approversNode) };
            }

            if (fields.TryGetValue("rules", out var rulesNode))
            {
                role = role with { Rules = new RuleReader(reader, engine).ReadRules(rulesNode, name) };
            }

            roles.Add(role);
        }

        return roles;
    }

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

    private RoleMaskingSettings? ReadMasking(YamlNode node)
    {
        var fields = reader.Mapping(node, "masking", "enable", "disable", "custom", "replacement");
        if (fields is null)
        {
            return null;
        }

        var settings = new RoleMaskingSettings();
        if (fields.TryGetValue("enable", out var enableNode))
        {
            settings = settings with { Enable = reader.StringList(enableNode, "masking enable") };
        }

        if (fields.TryGetValue("disable", out var disableNode))
        {
            settings = settings with { Disable = reader.StringList(disableNode, "masking disable") };
        }

        if (fields.TryGetValue("replacement", out var replacementNode) && reader.String(replacementNode, "replacement") is { } replacement)
        {
            if (replacement is "named" or "same-length")
            {
                settings = settings with { Replacement = replacement == "named" ? MaskReplacement.Named : MaskReplacement.SameLength };
            }
            else
            {
                reader.Error(replacementNode, "replacement must be 'named' or 'same-length'");
            }
        }

        if (fields.TryGetValue("custom", out var customNode))
        {
            var custom = new List<CustomMaskPattern>();
            foreach (var item in reader.Sequence(customNode, "masking custom"))
            {
                var entry = reader.Mapping(item, "a custom masking pattern", "name", "pattern");
                if (entry is null)
                {
                    continue;
                }

                var name = reader.RequiredString(entry, item, "name", "a custom masking pattern");
                var pattern = reader.RequiredString(entry, item, "pattern", "a custom masking pattern");
                if (name is null || pattern is null)
                {
                    continue;
                }

                try
                {
                    custom.Add(new CustomMaskPattern(name, new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100))));
                }
                catch (ArgumentException e)
                {
                    reader.Error(entry["pattern"], $"masking pattern '{name}' is not a valid regular expression: {e.Message}");
                }
            }

            settings = settings with { Custom = custom };
        }

        return settings;
    }

    private ApproverSettings? ReadApprovers(YamlNode node)
    {
        var fields = reader.Mapping(node, "approvers", "groups", "quorum", "timeout");
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

        if (fields.TryGetValue("quorum", out var quorumNode) && reader.Integer(quorumNode, "quorum", 1, 100) is { } quorum)
        {
            settings = settings with { Quorum = quorum };
        }

        if (fields.TryGetValue("timeout", out var timeoutNode) && reader.Duration(timeoutNode, "approval timeout", TimeSpan.FromSeconds(10), TimeSpan.FromDays(7)) is { } timeout)
        {
            settings = settings with { Timeout = timeout };
        }

        return settings;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")]
    private static partial Regex RoleArnPattern();

    [GeneratedRegex(@"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
    private static partial Regex TagTextPattern();

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-\\d$")]
    private static partial Regex RegionPattern();
}
