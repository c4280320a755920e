namespace Broker.Policy.Tests;

/// <summary>Line mode's guard over the shell state the prompt markers live in: built-ins that read or change it are denied whatever the role allows.</summary>
public sealed class ShellStateGuardTests
{
    private static readonly PolicyDocument Document = PolicyLoader.Parse(
        """
        version: 1
        issuers:
          - issuer: broker-dev
            audience: broker
        targets:
          - name: local
            kind: local-shell
            shell: /bin/bash
        identities:
          - issuer: broker-dev
            roles: [open]
        roles:
          - name: open
            targets: [local]
            default: deny
            rules:
              - id: anything
                allow:
                  programs: ["*"]
              - id: any-construct
                allow:
                  constructs: [parameter-expansion, assignment]
        """,
        "inline.yaml").Document!;

    private static readonly PolicyEngine Engine = new(Document);

    private static Decision Decide(string command) =>
        ShellStateGuard.Apply(Engine.Decide(Document.Roles.Where(r => r.Name == "open").ToList(), CommandInput.Script(command)), Engine, CommandInput.Script(command));

    [Theory]
    [InlineData("declare -p")]
    [InlineData("set")]
    [InlineData("typeset -f")]
    [InlineData("trap 'rm -rf /' DEBUG")]
    [InlineData("unset PROMPT_COMMAND")]
    [InlineData("ls; type __broker_prompt")]
    [InlineData("type \"__bro\"ker_prompt")]
    [InlineData("command -V __broker_prompt")]
    [InlineData("type $name")]
    [InlineData("command -v $(echo __broker_prompt)")]
    [InlineData("env declare -p")]
    [InlineData("builtin declare")]
    public void Built_ins_that_touch_the_shell_state_are_denied_even_when_a_role_allows_everything(string command)
    {
        var decision = Decide(command);

        decision.Verdict.Should().Be(Verdict.Deny);
    }

    [Theory]
    [InlineData("ls -la")]
    [InlineData("echo hi | wc -c")]
    [InlineData("cd /tmp")]
    [InlineData("type git")]
    [InlineData("type -a python3 ls")]
    [InlineData("command -v git || echo none")]
    public void Ordinary_commands_keep_their_decision(string command)
    {
        var decision = Decide(command);

        decision.Verdict.Should().Be(Verdict.Allow);
    }
}
