using System.Text;
using Broker.Protocol.V1;
using Google.Protobuf;

namespace Broker.Integration.Tests.Identity;

/// <summary>Credentials refreshed before expiry (on a fake clock shared by broker and STS emulator) keep the CLI working and are masked too.</summary>
[Collection(IdentityTestGroup.Name)]
public sealed class AwsCredentialRefreshTests : IClassFixture<FakeClockAwsBrokerFixture>
{
    private readonly FakeClockAwsBrokerFixture _broker;

    public AwsCredentialRefreshTests(FakeClockAwsBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_credential_due_for_refresh_is_replaced_and_the_new_one_is_masked_and_works()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var call = _broker.Client(_broker.Token("agent-refresh")).Exec(cancellationToken: cts.Token);
        var callerIdentity = $"/usr/bin/aws sts get-caller-identity --endpoint-url {_broker.Sts.ServiceUrl} --region us-east-1 --output text --query Arn";
        await call.RequestStream.WriteAsync(new ExecRequest
        {
            Start = new ExecStart
            {
                Target = "local",
                Script = $"""
                    /usr/bin/aws configure export-credentials --format env
                    echo first-done
                    read -r line
                    /usr/bin/aws configure export-credentials --format env
                    {callerIdentity}
                    """,
            },
        }, cts.Token);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var sessionId = string.Empty;
        ExitStatus? exit = null;
        var responses = call.ResponseStream;
        var advanced = false;
        while (await responses.MoveNext(cts.Token))
        {
            var frame = responses.Current;
            switch (frame.FrameCase)
            {
                case ExecResponse.FrameOneofCase.Opened: sessionId = frame.Opened.SessionId; break;
                case ExecResponse.FrameOneofCase.Stdout: stdout.Append(frame.Stdout.ToStringUtf8()); break;
                case ExecResponse.FrameOneofCase.Stderr: stderr.Append(frame.Stderr.ToStringUtf8()); break;
                case ExecResponse.FrameOneofCase.Exit: exit = frame.Exit; break;
            }

            if (!advanced && stdout.ToString().Contains("first-done\n", StringComparison.Ordinal))
            {
                // Past the first 15-minute credential's expiry: the emulator no longer accepts it.
                _broker.Clock!.Advance(TimeSpan.FromMinutes(16));
                advanced = true;
                await call.RequestStream.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFromUtf8("go\n") }, cts.Token);
                await call.RequestStream.CompleteAsync();
            }
        }

        exit!.Code.Should().Be(0, stderr.ToString());
        var calls = _broker.CallsFor(sessionId);
        calls.Should().HaveCount(2);
        calls[1].Issued.AccessKeyId.Should().NotBe(calls[0].Issued.AccessKeyId);
        var output = stdout.ToString() + stderr;
        foreach (var issued in calls.Select(c => c.Issued))
        {
            output.Should().NotContain(issued.AccessKeyId).And.NotContain(issued.SecretAccessKey).And.NotContain(issued.SessionToken!);
        }

        System.Text.RegularExpressions.Regex.Count(stdout.ToString(), @"export AWS_SECRET_ACCESS_KEY=\[MASKED:[a-z-]+\]\n").Should().Be(2);
        stdout.ToString().Should().EndWith("arn:aws:sts::123456789012:assumed-role/agent-readonly/agent-refresh\n");
        _broker.Sts.CallerIdentityCalls.Should().Contain(c => c.AccessKeyId == calls[1].Issued.AccessKeyId);
    }
}
