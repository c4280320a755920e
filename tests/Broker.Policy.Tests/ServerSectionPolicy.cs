namespace Broker.Policy.Tests;

/// <summary>
/// The smallest valid policy before its <c>server</c> section: one issuer, one target, one role. The tests of the
/// server's sections append their own section to it, so the line numbers they assert on start after these 13 lines.
/// </summary>
internal static class ServerSectionPolicy
{
    public const string Head = """
        issuers:
          - issuer: https://idp.example
            audience: broker
        targets:
          - name: local
            kind: local-shell
        identities:
          - issuer: https://idp.example
            roles: [agent]
        roles:
          - name: agent
            targets: [local]
            default: deny

        """;
}
