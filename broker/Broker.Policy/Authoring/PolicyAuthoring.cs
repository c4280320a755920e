using Broker.Policy.Configuration;

namespace Broker.Policy;

/// <summary>The logic behind <c>broker policy check</c> and <c>broker policy test</c>.</summary>
public static class PolicyAuthoring
{
    /// <summary>
    /// Decides <paramref name="command"/> for <paramref name="identity"/> (on <paramref name="target"/> when given,
    /// otherwise under every role the identity has) and returns the one-line JSON decision.
    /// </summary>
    public static string CheckToJson(PolicyDocument doc, CallerIdentity identity, string? target, CommandInput command)
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
                return new Decision(Verdict.Deny, null, access.Message!, null, facts).ToJson();
            }

            roles = access.Roles;
        }

        return engine.Decide(roles, command).ToJson();
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

        lines.Add($"{passed} passed, {failed} failed");
        return new PolicyTestReport(lines, failed == 0);
    }
}
