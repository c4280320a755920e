using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.TestSupport;

namespace Broker.Integration.Tests.Policy;

/// <summary>
/// An allowed AWS call that prints a secret (GetSecretValue): nobody sees what it prints, and the value is registered
/// with the session's masker, so it is masked where it shows up later. The target's PATH has an 'aws' that prints a
/// fixed secret, as the real CLI would print the secret's value (the session output path is what is tested here).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecretOutputTests : IClassFixture<SecretOutputTests.SecretFixture>
{
    private const string Secret = "s3cr3t-Pa55w0rd-9f8e7d6c";
    // Sessions run as accounts of their own (never root): bash's prompt ends in "$ ".
    private const string Prompt = "$ ";

    private readonly SecretFixture _broker;

    public SecretOutputTests(SecretFixture broker) => _broker = broker;

    [Fact]
    public async Task Exec_of_a_secret_reading_command_shows_only_the_mask()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token()), "aws secretsmanager get-secret-value --secret-id prod/db");
        result.Exit!.Code.Should().Be(0);
        result.StdoutText.Should().Contain("[MASKED:secret-output]").And.NotContain(Secret).And.NotContain("9f8e7d6c");
    }

    [Fact]
    public async Task Exec_of_an_ordinary_aws_call_is_not_masked()
    {
        var result = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token()), "aws secretsmanager list-secrets");
        result.StdoutText.Should().Contain("listed").And.NotContain("[MASKED:secret-output]");
    }

    [Fact]
    public async Task In_line_mode_the_command_output_is_masked_and_the_value_stays_masked_afterwards()
    {
        var copy = await _broker.Scratch.WriteReadableAsync($"copy-{Guid.NewGuid():n}.txt", System.Text.Encoding.UTF8.GetBytes($"the password is {Secret}\n"));
        await using var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}")));
        await terminal.WaitForOutputAsync(Prompt);

        await terminal.SendAsync("aws secretsmanager get-secret-value --secret-id prod/db\r");
        await terminal.WaitForOutputAsync("[MASKED:secret-output]");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("echo after\r");
        await terminal.WaitForOutputAsync("after\r\n", occurrences: 2);
        await terminal.SendAsync($"cat {copy}\r");
        await terminal.WaitForOutputAsync("the password is ");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 4);

        terminal.Decisions[0].Verdict.Should().Be(Verdict.Allow);
        terminal.Output.Should().NotContain(Secret).And.NotContain("9f8e7d6c");
        terminal.Output.Should().Contain("after\r\nafter\r\n", "output of later commands is shown as usual");
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public sealed class SecretFixture : BrokerFixture, IDisposable
    {
        public SecretFixture()
        {
            // The session's account, not the test's, runs the stand-in 'aws': it lives where that account can reach.
            Scratch = new SessionScratch("broker-secret-bin-");
            Bin = Scratch.Path;
            var aws = Path.Combine(Bin, "aws");
            File.WriteAllText(aws, $"#!/bin/sh\ncase \"$2\" in\n  get-secret-value) printf '{{\"Name\":\"prod/db\",\"SecretString\":\"{Secret}\"}}\\n' ;;\n  *) echo listed ;;\nesac\n");
            File.SetUnixFileMode(aws, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            PolicyYaml = $$"""
                version: 1
                issuers: [{issuer: broker-dev, audience: broker}]
                targets:
                  - name: local
                    shell: /bin/bash
                    environment: {PATH: "{{Bin}}:/usr/bin:/bin"}
                identities: [{issuer: broker-dev, roles: [reader]}]
                roles:
                  - name: reader
                    targets: [local]
                    rules:
                      - id: aws
                        allow: {aws: ["*:*"]}
                      - id: basics
                        allow: {programs: [echo, cat]}
                """;
        }

        public SessionScratch Scratch { get; }

        public string Bin { get; }

        public void Dispose() => Scratch.Dispose();
    }
}
