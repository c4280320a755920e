using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Configuration;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Integration.Tests.Identity;

/// <summary>A session lives as long as its caller's token, renewed on the open stream, plus a grace period (fake clock).</summary>
[Collection(IdentityTestGroup.Name)]
public sealed class TokenRenewalTests : IClassFixture<TokenRenewalTests.FakeClockBrokerFixture>
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(2);
    private readonly FakeClockBrokerFixture _broker;

    public TokenRenewalTests(FakeClockBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_session_whose_token_expires_gets_a_notice_and_ends_after_the_grace_period()
    {
        await using var session = await OpenAsync(_broker.Mint("agent-expiring", [], TokenLifetime));

        _broker.Clock.Advance(TokenLifetime + TimeSpan.FromSeconds(1));
        var notice = await session.NextNoticeAsync();
        notice.Kind.Should().Be(NoticeKind.TokenExpiring);
        notice.Message.Should().Contain("renew_token").And.Contain("60 s");

        _broker.Clock.Advance(TimeSpan.FromMinutes(1));
        var exit = await session.ExitAsync();
        exit.Reason.Should().Be(ExitReason.TokenExpired);
        session.Stdout.Should().BeEmpty();
    }

    [Fact]
    public async Task A_watch_that_first_looks_after_the_grace_is_over_still_warns_and_gives_the_whole_grace()
    {
        await using var session = await OpenAsync(_broker.Mint("agent-late-watch", [], TokenLifetime));

        // One step past expiry and grace together: a timer that fires late on a busy machine.
        _broker.Clock.Advance(TokenLifetime + TimeSpan.FromMinutes(2));
        (await session.NextNoticeAsync()).Kind.Should().Be(NoticeKind.TokenExpiring);

        await session.RenewAsync(_broker.Mint("agent-late-watch", [], TimeSpan.FromHours(1)));
        await session.SendAsync("ping\n");
        await session.WaitForOutputAsync("ping\n");
        _broker.Clock.Advance(TimeSpan.FromMinutes(2));
        await session.SendAsync("done\n");

        var exit = await session.ExitAsync();
        exit.Reason.Should().Be(ExitReason.Exited);
    }

    [Fact]
    public async Task A_fresh_token_of_the_same_identity_keeps_the_session_past_the_old_expiry()
    {
        await using var session = await OpenAsync(_broker.Mint("agent-renewing", [], TokenLifetime));

        await session.RenewAsync(_broker.Mint("agent-renewing", [], TimeSpan.FromHours(1)));
        // The renewal is taken before the session's next input: the echo proves it was processed.
        await session.SendAsync("ping\n");
        await session.WaitForOutputAsync("ping\n");
        _broker.Clock.Advance(TokenLifetime + TimeSpan.FromMinutes(2));
        await session.SendAsync("done\n");

        var exit = await session.ExitAsync();
        exit.Reason.Should().Be(ExitReason.Exited);
        exit.Code.Should().Be(0);
        session.Notices.Should().NotContain(n => n.Kind == NoticeKind.TokenExpiring);
    }

    [Fact]
    public async Task A_token_of_another_identity_is_rejected_and_does_not_extend_the_session()
    {
        await using var session = await OpenAsync(_broker.Mint("agent-a", [], TokenLifetime));

        await session.RenewAsync(_broker.Mint("agent-b", [], TimeSpan.FromHours(1)));
        var rejected = await session.NextNoticeAsync();
        rejected.Kind.Should().Be(NoticeKind.FrameRejected);
        rejected.Message.Should().Contain("another identity");

        _broker.Clock.Advance(TokenLifetime + TimeSpan.FromSeconds(1));
        (await session.NextNoticeAsync()).Kind.Should().Be(NoticeKind.TokenExpiring);
        _broker.Clock.Advance(TimeSpan.FromMinutes(1));
        (await session.ExitAsync()).Reason.Should().Be(ExitReason.TokenExpired);
    }

    private async Task<OpenSession> OpenAsync(string token)
    {
        var session = new OpenSession(_broker.Client(token).Exec());
        await session.StartAsync("while read -r line; do [ \"$line\" = done ] && exit 0; echo \"$line\"; done");
        return session;
    }

    /// <summary>An exec call kept open, read frame by frame.</summary>
    private sealed class OpenSession(AsyncDuplexStreamingCall<ExecRequest, ExecResponse> call) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
        private readonly StringBuilder _stdout = new();

        public List<Notice> Notices { get; } = [];

        public string Stdout => _stdout.ToString();

        public async Task StartAsync(string script)
        {
            await call.RequestStream.WriteAsync(new ExecRequest { Start = new ExecStart { Target = "local", Script = script } }, _timeout.Token);
            while ((await NextAsync()).FrameCase != ExecResponse.FrameOneofCase.Opened)
            {
            }
        }

        public Task SendAsync(string text) => call.RequestStream.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFromUtf8(text) }, _timeout.Token);

        public Task RenewAsync(string token) => call.RequestStream.WriteAsync(new ExecRequest { RenewToken = new RenewToken { BearerToken = token } }, _timeout.Token);

        public async Task<Notice> NextNoticeAsync()
        {
            var seen = Notices.Count;
            while (Notices.Count == seen)
            {
                await NextAsync();
            }

            return Notices[seen];
        }

        public async Task WaitForOutputAsync(string text)
        {
            while (!Stdout.Contains(text, StringComparison.Ordinal))
            {
                await NextAsync();
            }
        }

        public async Task<ExitStatus> ExitAsync()
        {
            while (true)
            {
                var frame = await NextAsync();
                if (frame.FrameCase == ExecResponse.FrameOneofCase.Exit)
                {
                    return frame.Exit;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            call.Dispose();
            _timeout.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<ExecResponse> NextAsync()
        {
            (await call.ResponseStream.MoveNext(_timeout.Token)).Should().BeTrue("the session should still be sending frames");
            var frame = call.ResponseStream.Current;
            switch (frame.FrameCase)
            {
                case ExecResponse.FrameOneofCase.Stdout: _stdout.Append(frame.Stdout.ToStringUtf8()); break;
                case ExecResponse.FrameOneofCase.Notice: Notices.Add(frame.Notice); break;
            }

            return frame;
        }
    }

    public sealed class FakeClockBrokerFixture : BrokerFixture
    {
        public FakeClockBrokerFixture()
        {
            PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
        }

        public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

        /// <summary>A dev token issued on the broker's fake clock.</summary>
        public string Mint(string subject, string[] groups, TimeSpan lifetime) =>
            Broker.Identity.Dev.DevIssuer.LoadOrCreate(DataDirectory, Clock).Mint(subject, groups, lifetime);

        private protected override BrokerSettings Configure(BrokerSettings settings) => settings with { Time = Clock, TokenGracePeriod = TimeSpan.FromMinutes(1) };
    }
}
