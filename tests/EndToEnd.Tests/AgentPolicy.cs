namespace EndToEnd.Tests;

/// <summary>A policy file for <c>broker serve --config</c>: every dev-issuer token gets role agent, allowed only the named programs.</summary>
internal static class AgentPolicy
{
    private const string Template = """
        version: 1
        issuers:
          - issuer: broker-dev
            audience: broker
        targets:
          - name: local
        identities:
          - issuer: broker-dev
            roles: [agent]
        roles:
          - name: agent
            targets: [local]
            rules:
              - id: programs
                allow: {programs: [PROGRAMS]}
        """;

    /// <param name="programs">A YAML flow list's items, such as <c>echo, whoami</c>.</param>
    public static string Allowing(string programs) => Template.Replace("PROGRAMS", programs, StringComparison.Ordinal);
}
