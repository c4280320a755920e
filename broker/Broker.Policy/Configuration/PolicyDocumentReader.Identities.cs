using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>The <c>issuers</c> and <c>identities</c> sections.</summary>
internal sealed partial class PolicyDocumentReader
{
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
}
