using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Access;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Policy;

/// <summary>Reloading the policy file: new sessions follow the new rules, open sessions keep running, an invalid file changes nothing.</summary>
public sealed class PolicyReloadTests : IClassFixture<PolicyReloadTests.ReloadBrokerFixture>
{
    private const string Policy = """
        version: 1
        issuers:
          - issuer: broker-dev
            audience: broker
        targets:
          - name: local
            shell: /bin/bash
            args: [--norc, --noprofile]
        identities:
          - issuer: broker-dev
            roles: [tester]
        roles:
          - name: tester
            targets: [local]
            terminal: raw
            rules:
              - id: programs
                allow: {programs: [PROGRAMS]}
        """;

    private readonly ReloadBrokerFixture _broker;

    public PolicyReloadTests(ReloadBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_reload_applies_to_new_sessions_keeps_open_ones_and_an_invalid_file_changes_nothing()
    {
        var reloader = _broker.Services.GetRequiredService<PolicyReloader>();
        await File.WriteAllTextAsync(_broker.PolicyFile!, Policy.Replace("PROGRAMS", "echo, read, whoami", StringComparison.Ordinal));
        reloader.Reload().Should().BeEmpty();
        var client = _broker.Client(_broker.Token());
        (await ExecResult.RunArgvAsync(client, "whoami")).Exit!.Code.Should().Be(0);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var open = client.Exec(cancellationToken: cts.Token);
        await open.RequestStream.WriteAsync(new ExecRequest { Start = new ExecStart { Target = "local", Script = "read -r line; echo survived" } }, cts.Token);
        while (await open.ResponseStream.MoveNext(cts.Token) && open.ResponseStream.Current.FrameCase != ExecResponse.FrameOneofCase.Opened)
        {
        }

        // The new file no longer allows whoami.
        await File.WriteAllTextAsync(_broker.PolicyFile!, Policy.Replace("PROGRAMS", "echo, read", StringComparison.Ordinal));
        reloader.Reload().Should().BeEmpty();
        var denied = await ExecResult.RunArgvAsync(client, "whoami");
        denied.Exit!.Code.Should().Be(126);
        denied.Exit.Reason.Should().Be(ExitReason.PolicyDenied);

        // An invalid file is refused with its position, and the last good policy stays.
        await File.WriteAllTextAsync(_broker.PolicyFile!, Policy.Replace("PROGRAMS", "whoami", StringComparison.Ordinal).Replace("terminal: raw", "terminal: fancy", StringComparison.Ordinal));
        var errors = reloader.Reload();
        errors.Should().ContainSingle().Which.Should().StartWith(_broker.PolicyFile + ":15:15:").And.Contain("terminal must be");
        (await ExecResult.RunArgvAsync(client, "whoami")).Exit!.Code.Should().Be(126);
        (await ExecResult.RunArgvAsync(client, "echo", "still")).StdoutText.Should().Be("still\n");

        // The session opened before both reloads is still running.
        await open.RequestStream.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFromUtf8("go\n") }, cts.Token);
        await open.RequestStream.CompleteAsync();
        var stdout = new StringBuilder();
        ExitStatus? exit = null;
        while (await open.ResponseStream.MoveNext(cts.Token))
        {
            var frame = open.ResponseStream.Current;
            if (frame.FrameCase == ExecResponse.FrameOneofCase.Stdout)
            {
                stdout.Append(frame.Stdout.ToStringUtf8());
            }
            else if (frame.FrameCase == ExecResponse.FrameOneofCase.Exit)
            {
                exit = frame.Exit;
            }
        }

        stdout.ToString().Should().Be("survived\n");
        exit!.Code.Should().Be(0);
    }

    public sealed class ReloadBrokerFixture : BrokerFixture
    {
        public ReloadBrokerFixture()
        {
            PolicyYaml = Policy.Replace("PROGRAMS", "echo, read", StringComparison.Ordinal);
        }
    }
}
