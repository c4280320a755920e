using System.Text.RegularExpressions;
using Broker.Policy.Decisions;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>The <c>roles</c> section (rules are read by <see cref="RuleReader"/>).</summary>
internal sealed partial class PolicyDocumentReader
{
    private List<RoleDefinition> ReadRoles(YamlNode node, List<TargetDefinition> targets, PolicyEngine engine)
    {
        var roles = new List<RoleDefinition>();
        foreach (var item in reader.Sequence(node, "roles"))
        {
            var fields = reader.Mapping(item, "a role", "name", "targets", "terminal", "default", "aws", "masking", "approvers", "protected_paths", "rules");
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

            if (fields.TryGetValue("protected_paths", out var protectedNode))
            {
                var paths = reader.StringList(protectedNode, "protected_paths");
                foreach (var problem in paths.Select(Paths.ProtectedPaths.Validate).OfType<string>())
                {
                    reader.Error(protectedNode, problem);
                }

                role = role with { ProtectedPaths = paths };
            }

            if (fields.TryGetValue("rules", out var rulesNode))
            {
                role = role with { Rules = new RuleReader(reader, engine).ReadRules(rulesNode, name) };
            }

            roles.Add(role);
        }

        return roles;
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
}
