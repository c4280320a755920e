using Broker.Policy.Configuration;

namespace Broker.Policy;

/// <summary>The logic behind <c>broker policy check</c> and <c>broker policy test</c>.</summary>
public static class PolicyAuthoring
{
    /// <summary>
    /// Decides <paramref name="command"/> for <paramref name="identity"/> (on <paramref name="target"/> when given,
    /// otherwise under every role the identity has) and returns the one-line JSON decision.
    /// </summary>
    public static string CheckToJson(PolicyDocument doc, CallerIdentity identity, string? target, CommandInput command) =>
        Check(doc, identity, target, command).ToJson();

    /// <summary>The decision behind <see cref="CheckToJson"/>.</summary>
    public static Decision Check(PolicyDocument doc, CallerIdentity identity, string? target, CommandInput command)
    {
        ArgumentNullException.ThrowIfNull(doc);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(command);
        var engine = new PolicyEngine(doc);
        var roles = doc.ResolveRoles(identity);
        if (target is not null && roles.Count > 0)
        {
            var access = doc.CheckTarget(roles, target);
            if (!access.IsAllowed)
            {
                var facts = engine.Decide(roles, command).Facts;
                return new Decision(Verdict.Deny, PolicyEngine.NoRoleRuleId, access.Message!, null, facts);
            }

            roles = access.Roles;
        }

        return engine.Decide(roles, command);
    }

    /// <summary>Runs every rule's inline examples and reports each.</summary>
    public static PolicyTestReport RunExamples(PolicyDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        var engine = new PolicyEngine(doc);
        var lines = new List<string>();
        var passed = 0;
        var failed = 0;
        foreach (var role in doc.Roles)
        {
            foreach (var rule in role.Rules)
            {
                foreach (var result in ExampleChecker.Run(engine, rule))
                {
                    if (result.Failure is null)
                    {
                        passed++;
                        lines.Add($"ok    {role.Name}/{rule.Id} {(result.ShouldMatch ? "match" : "not_match")}: {result.Example}");
                    }
                    else
                    {
                        failed++;
                        lines.Add($"FAIL  {role.Name}/{rule.Id}: {result.Failure}");
                    }
                }
            }
        }

        foreach (var failure in Catalog.CatalogExamples.Check(engine, doc.Catalog.Programs))
        {
            failed++;
            lines.Add($"FAIL  catalog: {failure}");
        }

        passed += doc.Catalog.Programs.Sum(p => p.Examples.Count) - lines.Count(l => l.StartsWith("FAIL  catalog:", StringComparison.Ordinal));
        lines.AddRange(MeasureCorpora(doc));
        lines.Add($"{passed} passed, {failed} failed");
        return new PolicyTestReport(lines, failed == 0);
    }

    /// <summary>For every role: how many of the shipped ordinary commands it allows, and how many hostile ones (which should be none).</summary>
    private static IEnumerable<string> MeasureCorpora(PolicyDocument doc)
    {
        var precision = CommandCorpus.Precision;
        var hostile = CommandCorpus.Hostile;
        var engine = precision.EngineFor(doc);
        foreach (var role in doc.Roles)
        {
            var (allowed, _, _) = precision.Measure(engine, role);
            var (breaches, breaching, _) = hostile.Measure(hostile.EngineFor(doc), role);
            yield return string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"corpus {role.Name}: {allowed}/{precision.Commands.Count} ordinary read-only commands allowed ({allowed * 100.0 / precision.Commands.Count:0.0} %); {breaches}/{hostile.Commands.Count} hostile commands allowed");
            foreach (var command in breaching.Take(5))
            {
                yield return $"      hostile command allowed for {role.Name}: {command.ReplaceLineEndings("\\n")}";
            }
        }
    }
}
