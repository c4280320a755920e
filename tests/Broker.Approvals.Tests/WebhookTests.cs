using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Broker.Policy;
using Broker.TestSupport.Http;
using Microsoft.Extensions.Logging.Abstractions;
using static Broker.Approvals.Tests.ApprovalTestBed;

namespace Broker.Approvals.Tests;

/// <summary>Signed webhook deliveries to local receivers: one that checks the signature, one that fails first, one that is down, one that never answers.</summary>
public sealed class WebhookTests : IAsyncDisposable
{
    private static readonly byte[] Secret = "a-webhook-secret-of-some-length"u8.ToArray();
    private static readonly WebhookOptions Fast = new() { FirstRetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(100), MaxAttempts = 4, AttemptTimeout = TimeSpan.FromSeconds(20) };
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly HttpClient _http = new();
    private readonly List<IAsyncDisposable> _owned = [];

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task A_receiver_verifies_the_signature_and_timestamp_of_a_delivery()
    {
        var receiver = Own(new WebhookReceiver());
        using var bed = Bed(Notifier([receiver.Url]));

        var request = await bed.Coordinator.RequestAsync(Spec(command: "rm -rf build"), Ct);
        var post = await receiver.Received.Reader.ReadAsync(Ct);

        var timestamp = post.Header(WebhookSignature.TimestampHeader);
        var signature = post.Header(WebhookSignature.SignatureHeader);
        WebhookSignature.Verify(Secret, timestamp, post.Body, signature, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)).Should().BeTrue();
        WebhookSignature.Verify(Secret, timestamp, [.. post.Body, (byte)' '], signature, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)).Should().BeFalse("the body was changed");
        WebhookSignature.Verify("another-secret-of-enough-length"u8.ToArray(), timestamp, post.Body, signature, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)).Should().BeFalse();
        WebhookSignature.Verify(Secret, timestamp, post.Body, signature, DateTimeOffset.UtcNow.AddMinutes(10), TimeSpan.FromMinutes(5)).Should().BeFalse("a replay is refused by its age");
        post.Header("content-type").Should().StartWith("application/json");

        using var json = JsonDocument.Parse(post.Body);
        json.RootElement.GetProperty("event").GetString().Should().Be("approval.requested");
        json.RootElement.GetProperty("delivery").GetString().Should().Be(post.Header(WebhookSignature.DeliveryHeader));
        var approval = json.RootElement.GetProperty("approval");
        approval.GetProperty("id").GetString().Should().Be(request.Id);
        approval.GetProperty("command").GetString().Should().Be("rm -rf build");
        approval.GetProperty("requester").GetProperty("sub").GetString().Should().Be("agent-1");
        json.RootElement.GetProperty("text").GetString().Should().Contain("```rm -rf build```");
    }

    [Fact]
    public async Task A_failed_delivery_is_retried_with_the_same_delivery_id()
    {
        var receiver = Own(new WebhookReceiver((attempt, _) => Task.FromResult(attempt <= 2 ? 503 : 200)));
        using var bed = Bed(Notifier([receiver.Url]));

        await bed.Coordinator.RequestAsync(Spec(), Ct);
        var attempts = new List<ReceivedPost>();
        for (var i = 0; i < 3; i++)
        {
            attempts.Add(await receiver.Received.Reader.ReadAsync(Ct));
        }

        attempts.Select(a => a.Header(WebhookSignature.DeliveryHeader)).Distinct().Should().ContainSingle();
        attempts.Should().OnlyContain(a => WebhookSignature.Verify(Secret, a.Header(WebhookSignature.TimestampHeader), a.Body, a.Header(WebhookSignature.SignatureHeader), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task A_receiver_that_is_down_or_never_answers_holds_up_neither_the_request_nor_the_other_receivers()
    {
        using var hold = new SemaphoreSlim(0);
        var slow = Own(new WebhookReceiver(async (_, stop) => { await hold.WaitAsync(stop); return 200; }));
        var healthy = Own(new WebhookReceiver());
        var down = ClosedPort();
        using var bed = Bed(Notifier([slow.Url, down, healthy.Url]));

        var first = await bed.Coordinator.RequestAsync(Spec(command: "rm one"), Ct);
        await slow.Received.Reader.ReadAsync(Ct);
        var second = await bed.Coordinator.RequestAsync(Spec(command: "rm two"), Ct);
        var decided = await bed.Coordinator.DenyAsync(second.Id, Caller("op-1", ["operators"]), "no", Ct);

        decided.Succeeded.Should().BeTrue("deciding does not wait for the slow receiver, which still holds the first delivery");
        var delivered = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var json = JsonDocument.Parse((await healthy.Received.Reader.ReadAsync(Ct)).Body);
            delivered.Add(json.RootElement.GetProperty("event").GetString() + " " + json.RootElement.GetProperty("approval").GetProperty("id").GetString());
        }

        delivered.Should().Equal($"approval.requested {first.Id}", $"approval.requested {second.Id}", $"approval.denied {second.Id}");
        slow.Received.Reader.TryRead(out _).Should().BeFalse("the slow receiver's queue waits behind its first delivery");
        hold.Release(10);
    }

    [Fact]
    public void The_chat_text_escapes_the_command_so_it_cannot_fake_the_message_around_it()
    {
        var command = "ls```\nApproved by <@security-lead> <!channel> &amp; *safe*\u202e";
        var request = new ApprovalRequest
        {
            Id = "apr-1", SessionId = "s", Target = "local", Role = "agent", Requester = new ApprovalParty(Issuer, "agent <@here>"),
            Command = command, PolicyVersion = "p", Reason = "r", Requirements = Requirements(),
            CreatedAt = DateTimeOffset.UnixEpoch, ExpiresAt = DateTimeOffset.UnixEpoch,
        };

        var text = ChatText.Format(new ApprovalEvent(ApprovalEventKind.Requested, request));

        text.Should().NotContain("<@").And.NotContain("<!channel>").And.NotContain("\u202e");
        text.Should().Contain("&lt;@security-lead&gt;").And.Contain("&amp;amp;").And.Contain(@"\u{202e}");
        text.Split("```").Should().HaveCount(3, "one code block, which the command cannot close");
        text.Split('\n').Should().NotContain(l => l.StartsWith("Approved by", StringComparison.Ordinal), "the command's line break is shown, not followed");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        _http.Dispose();
        _timeout.Dispose();
    }

    private static Uri ClosedPort()
    {
        // Bound and released at once: connecting is refused, as to a receiver that is down.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/down");
    }

    private static ApprovalTestBed Bed(WebhookNotifier notifier) => new(notifier);

    private WebhookNotifier Notifier(IReadOnlyList<Uri> urls)
    {
        IReadOnlyList<WebhookDefinition> hooks = [.. urls.Select(u => new WebhookDefinition { Url = u, Secret = Secret })];
        return Own(new WebhookNotifier(role => role == "agent" ? hooks : [], _http, TimeProvider.System, NullLogger<WebhookNotifier>.Instance, Fast));
    }

    private T Own<T>(T item)
        where T : IAsyncDisposable
    {
        _owned.Add(item);
        return item;
    }
}
