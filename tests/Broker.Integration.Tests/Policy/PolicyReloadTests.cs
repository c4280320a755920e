using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Access;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Policy;

/// <summary>
/// Reloading the policy file: new sessions and the next commands of open ones follow the new rules, a session whose
/// identity lost its role ends, an invalid or half-written (written in place) file changes nothing.
/// </summary>
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
            claims: {sub: ["SUBJECTS"]}
            roles: [tester]
        roles:
          - name: tester
            targets: [local]
            terminal: raw
            rules:
              - id: programs
                allow: {programs: [PROGRAMS]}
        """;

    private static string PolicyWith(string programs, string subjects = "*") =>
        Policy.Replace("PROGRAMS", programs, StringComparison.Ordinal).Replace("SUBJECTS", subjects, StringComparison.Ordinal);

    /// <summary>Writes the policy as an operator should: to another file, renamed over the policy file.</summary>
    private async Task ReplaceByRenameAsync(string text)
    {
        var temporary = _broker.PolicyFile + ".new";
        await File.WriteAllTextAsync(temporary, text);
        File.Move(temporary, _broker.PolicyFile!, overwrite: true);
    }

    private readonly ReloadBrokerFixture _broker;

    public PolicyReloadTests(ReloadBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_reload_applies_to_new_sessions_keeps_open_ones_and_an_invalid_file_changes_nothing()
    {
        var reloader = _broker.Services.GetRequiredService<PolicyReloader>();
        await ReplaceByRenameAsync(PolicyWith("echo, read, whoami"));
        reloader.Reload().Should().BeEmpty();
        var client = _broker.Client(_broker.Token());
        (await ExecResult.RunArgvAsync(client, "whoami")).Exit!.Code.Should().Be(0);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var open = client.Exec(cancellationToken: cts.Token);
        await open.RequestStream.WriteAsync(new ExecRequest { Start = new ExecStart { Target = "local", Script = "read -r; echo survived" } }, cts.Token);
        while (await open.ResponseStream.MoveNext(cts.Token) && open.ResponseStream.Current.FrameCase != ExecResponse.FrameOneofCase.Opened)
        {
        }

        // The new file no longer allows whoami.
        await ReplaceByRenameAsync(PolicyWith("echo, read"));
        reloader.Reload().Should().BeEmpty();
        var denied = await ExecResult.RunArgvAsync(client, "whoami");
        denied.Exit!.Code.Should().Be(126);
        denied.Exit.Reason.Should().Be(ExitReason.PolicyDenied);

        // An invalid file is refused with its position, and the last good policy stays.
        await ReplaceByRenameAsync(PolicyWith("whoami").Replace("terminal: raw", "terminal: fancy", StringComparison.Ordinal));
        var errors = reloader.Reload();
        errors.Should().ContainSingle().Which.Should().StartWith(_broker.PolicyFile + ":16:15:").And.Contain("terminal must be");
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

    [Fact]
    public async Task A_file_written_in_place_is_refused_whole_even_when_a_cut_would_still_be_valid()
    {
        var reloader = _broker.Services.GetRequiredService<PolicyReloader>();
        await ReplaceByRenameAsync(PolicyWith("echo, read"));
        reloader.Reload().Should().BeEmpty();
        var client = _broker.Client(_broker.Token());
        (await ExecResult.RunArgvAsync(client, "echo", "before")).Exit!.Code.Should().Be(0);

        // A writer caught half way: the file is valid YAML and a valid policy (a role without rules), but lacks what came after the cut.
        var whole = PolicyWith("read");
        await File.WriteAllTextAsync(_broker.PolicyFile!, whole[..whole.IndexOf("    rules:", StringComparison.Ordinal)]);
        var errors = reloader.Reload();
        errors.Should().ContainSingle().Which.Should().Contain("written in place").And.Contain("rename");
        (await ExecResult.RunArgvAsync(client, "echo", "still")).StdoutText.Should().Be("still\n", "the policy loaded before stays in force");

        await ReplaceByRenameAsync(whole);
        reloader.Reload().Should().BeEmpty();
        (await ExecResult.RunArgvAsync(client, "echo", "now")).Exit!.Code.Should().Be(126);
    }

    [Fact]
    public async Task A_session_whose_identity_lost_its_role_ends_with_the_reason()
    {
        var reloader = _broker.Services.GetRequiredService<PolicyReloader>();
        await ReplaceByRenameAsync(PolicyWith("echo, read, sleep"));
        reloader.Reload().Should().BeEmpty();
        var subject = $"revoked-{Guid.NewGuid():n}";
        var client = _broker.Client(_broker.Token(subject));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var open = client.Exec(cancellationToken: cts.Token);
        await open.RequestStream.WriteAsync(new ExecRequest { Start = new ExecStart { Target = "local", Script = "read -r; echo should-not-print" } }, cts.Token);
        while (await open.ResponseStream.MoveNext(cts.Token) && open.ResponseStream.Current.FrameCase != ExecResponse.FrameOneofCase.Opened)
        {
        }

        var survivor = _broker.Client(_broker.Token("stays"));
        await ReplaceByRenameAsync(PolicyWith("echo, read, sleep", subjects: "stays"));
        reloader.Reload().Should().BeEmpty();

        var stdout = new StringBuilder();
        ExitStatus? exit = null;
        var notices = new List<string>();
        while (await open.ResponseStream.MoveNext(cts.Token))
        {
            var frame = open.ResponseStream.Current;
            switch (frame.FrameCase)
            {
                case ExecResponse.FrameOneofCase.Stdout: stdout.Append(frame.Stdout.ToStringUtf8()); break;
                case ExecResponse.FrameOneofCase.Notice: notices.Add(frame.Notice.Message); break;
                case ExecResponse.FrameOneofCase.Exit: exit = frame.Exit; break;
            }
        }

        exit!.Reason.Should().Be(ExitReason.PolicyDenied);
        string.Join(" ", notices).Should().Contain("no longer has a role for target 'local'");
        stdout.ToString().Should().NotContain("should-not-print");
        (await ExecResult.RunArgvAsync(survivor, "echo", "kept")).StdoutText.Should().Be("kept\n");
        var reopen = () => ExecResult.RunArgvAsync(client, "echo", "x");
        (await reopen.Should().ThrowAsync<Grpc.Core.RpcException>()).Which.StatusCode.Should().Be(Grpc.Core.StatusCode.PermissionDenied);
    }

    public sealed class ReloadBrokerFixture : BrokerFixture
    {
        public ReloadBrokerFixture()
        {
            PolicyYaml = PolicyWith("echo, read");
        }
    }
}
