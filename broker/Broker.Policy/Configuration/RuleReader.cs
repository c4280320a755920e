using Broker.Policy.Decisions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>Reads a role's rules and checks every inline example against its rule.</summary>
internal sealed class RuleReader(YamlReader reader, PolicyEngine engine)
{
    private static readonly HashSet<string> KnownConstructs = typeof(ConstructNames)
        .GetFields()
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    public List<PolicyRule> ReadRules(YamlNode node, string role)
    {
        var rules = new List<PolicyRule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in reader.Sequence(node, $"rules of role '{role}'"))
        {
            index++;
            var fields = reader.Mapping(item, "a rule", "id", "allow", "review", "deny", "reason", "examples");
            if (fields is null)
            {
                continue;
            }

            var id = fields.TryGetValue("id", out var idNode) ? reader.String(idNode, "id") : $"{role}#{index}";
            if (id is null)
            {
                continue;
            }

            if (id == PolicyEngine.DefaultRuleId || id.StartsWith('('))
            {
                reader.Error(idNode ?? item, $"rule id '{id}' is reserved for the broker's own decisions");
            }

            if (!ids.Add(id))
            {
                reader.Error(item, $"rule id '{id}' is used twice in role '{role}'");
            }

            var actions = new[] { ("allow", Verdict.Allow), ("review", Verdict.Review), ("deny", Verdict.Deny) }
                .Where(a => fields.ContainsKey(a.Item1))
                .ToArray();
            if (actions.Length != 1)
            {
                reader.Error(item, $"rule '{id}' needs exactly one of allow, review or deny");
                continue;
            }

            var (actionName, action) = actions[0];
            var matcher = ReadMatcher(fields[actionName], id, action);
            if (matcher is null)
            {
                continue;
            }

            var reason = fields.TryGetValue("reason", out var reasonNode) ? reader.String(reasonNode, "reason") : null;
            List<string> match = [], notMatch = [];
            if (fields.TryGetValue("examples", out var examplesNode))
            {
                var examples = reader.Mapping(examplesNode, "examples", "match", "not_match");
                if (examples is not null)
                {
                    match = examples.TryGetValue("match", out var m) ? reader.StringList(m, "examples match") : [];
                    notMatch = examples.TryGetValue("not_match", out var n) ? reader.StringList(n, "examples not_match") : [];
                }
            }

            var rule = new PolicyRule(id, action, reason, matcher, match, notMatch);
            if (examplesNode is not null)
            {
                CheckExamples(rule, role, examplesNode);
            }

            rules.Add(rule);
        }

        return rules;
    }

    private void CheckExamples(PolicyRule rule, string role, YamlNode node)
    {
        foreach (var result in ExampleChecker.Run(engine, rule))
        {
            if (result.Failure is not null)
            {
                reader.Error(node, $"rule '{rule.Id}' of role '{role}': {result.Failure}");
            }
        }
    }

    private RuleMatcher? ReadMatcher(YamlNode node, string id, Verdict action)
    {
        var fields = reader.Mapping(node, $"the conditions of rule '{id}'", "programs", "subcommands", "flags", "args", "min_positionals", "aws", "effects", "redirections", "constructs");
        if (fields is null)
        {
            return null;
        }

        var matcher = new RuleMatcher
        {
            Programs = Globs(fields, "programs"),
            Subcommands = fields.TryGetValue("subcommands", out var subNode)
                ? reader.StringList(subNode, "subcommands").Select(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray()
                : [],
            Flags = fields.TryGetValue("flags", out var flagsNode) ? ReadFlags(flagsNode) : [],
            Arguments = Globs(fields, "args"),
            MinPositionals = fields.TryGetValue("min_positionals", out var positionalsNode) ? reader.Integer(positionalsNode, "min_positionals", 1, 1000) ?? 0 : 0,
            AwsActions = fields.TryGetValue("aws", out var awsNode)
                ? reader.StringList(awsNode, "aws").Select(p => new AwsActionPattern(p)).ToArray()
                : [],
            Effects = fields.TryGetValue("effects", out var effectsNode) ? ReadEffects(effectsNode) : [],
            Redirections = fields.TryGetValue("redirections", out var redirectionsNode) ? ReadRedirections(redirectionsNode) : [],
            Constructs = fields.TryGetValue("constructs", out var constructsNode) ? ReadConstructs(constructsNode) : [],
        };

        if (!matcher.IsCommandRule && !matcher.HasConstructList)
        {
            reader.Error(node, $"rule '{id}' needs 'programs', 'aws', 'effects', 'constructs' or 'redirections'");
            return null;
        }

        if (matcher.Effects.Length > 0 && action == Verdict.Allow)
        {
            reader.Error(fields["effects"], $"rule '{id}': 'effects' lists what a command may do, so it can only deny or review");
            return null;
        }

        if (!matcher.IsCommandRule && (matcher.Subcommands.Length > 0 || matcher.Flags.Length > 0 || matcher.Arguments.Length > 0 || matcher.MinPositionals > 0))
        {
            reader.Error(node, $"rule '{id}' uses subcommands, flags, args or min_positionals without 'programs' or 'aws'");
            return null;
        }

        foreach (var aws in matcher.AwsActions.Where(a => !a.IsWellFormed))
        {
            reader.Error(fields["aws"], $"AWS action pattern '{aws.Pattern}' must look like service:Action (e.g. s3:Get*, *:Describe*)");
        }

        return matcher;
    }

    private string[] ReadEffects(YamlNode node)
    {
        var names = reader.StringList(node, "effects");
        foreach (var name in names.Where(n => !RuleMatcher.EffectNames.Contains(n)))
        {
            reader.Error(node, $"unknown effect '{name}' (one of {string.Join(", ", RuleMatcher.EffectNames)})");
        }

        return [.. names];
    }

    private RedirectionPattern[] ReadRedirections(YamlNode node)
    {
        var patterns = new List<RedirectionPattern>();
        foreach (var text in reader.StringList(node, "redirections"))
        {
            if (RedirectionPattern.Parse(text) is { } pattern)
            {
                patterns.Add(pattern);
            }
            else
            {
                reader.Error(node, $"redirection '{text}' has no operator (<, >, >>, 2>&1, …)");
            }
        }

        return [.. patterns];
    }

    private string[] ReadFlags(YamlNode node)
    {
        var flags = reader.StringList(node, "flags");
        foreach (var flag in flags.Where(f => f.Length < 2 || f[0] != '-'))
        {
            reader.Error(node, $"flag '{flag}' must start with '-'");
        }

        return [.. flags];
    }

    private string[] ReadConstructs(YamlNode node)
    {
        var names = reader.StringList(node, "constructs");
        foreach (var name in names.Where(n => !KnownConstructs.Contains(n)))
        {
            reader.Error(node, $"unknown construct '{name}' (see docs/policy.md for the names)");
        }

        return [.. names];
    }

    private GlobPattern[] Globs(Dictionary<string, YamlNode> fields, string key) =>
        fields.TryGetValue(key, out var node)
            ? reader.StringList(node, key).Select(p => new GlobPattern(p)).ToArray()
            : [];
}
