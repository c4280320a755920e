using System.Text.Json;
using Broker.Approvals;
using Broker.Integration.Tests.Fixtures;
using Broker.TestSupport.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Approvals;

/// <summary>The broker with a global webhook (<c>server.approvals.webhooks</c>) pointing at a real local receiver.</summary>
public sealed class GlobalWebhookBrokerFixture : BrokerFixture
{
    /// <summary>The HMAC key the receiver checks, written next to the policy file.</summary>
    public static readonly byte[] Secret = "a-global-webhook-secret-0123"u8.ToArray();

    internal WebhookReceiver Receiver { get; } = new();

    public override async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        await File.WriteAllBytesAsync(Path.Combine(DataDirectory, "approvals-webhook.secret"), Secret);
        PolicyYaml = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"))
            + $"""

              server:
                approvals:
                  webhooks:
                    - url: '{Receiver.Url}'
                      secret_file: approvals-webhook.secret

              """;
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>Every approval event of a role with no webhooks of its own reaches the global receiver, signed.</summary>
public sealed class GlobalWebhookTests : IClassFixture<GlobalWebhookBrokerFixture>
{
    private readonly GlobalWebhookBrokerFixture _broker;

    public GlobalWebhookTests(GlobalWebhookBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_request_of_any_role_is_posted_signed_to_the_global_receiver()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var coordinator = _broker.Services.GetRequiredService<ApprovalCoordinator>();

        var request = await coordinator.RequestAsync(
            new ApprovalSpec
            {
                SessionId = "s-global-" + Guid.NewGuid().ToString("n"),
                Target = "local",
                Role = "tester",
                Requester = new ApprovalParty("broker-dev", "agent-global"),
                Command = "rm -rf build",
                PolicyVersion = "test",
                RuleId = "tester#review",
                Reason = "changes files",
                Programs = ["rm"],
                Requirements = ApprovalRequirements.From(new Broker.Policy.ApproverSettings { Groups = ["operators"] }),
            },
            timeout.Token);

        var post = await _broker.Receiver.Received.Reader.ReadAsync(timeout.Token);
        WebhookSignature.Verify(Secret, post.Headers["x-broker-timestamp"], post.Body, post.Headers["x-broker-signature"], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5))
            .Should().BeTrue("the delivery is signed with the global webhook's key");
        using var json = JsonDocument.Parse(post.Body);
        json.RootElement.GetProperty("event").GetString().Should().Be("approval.requested");
        json.RootElement.GetProperty("approval").GetProperty("id").GetString().Should().Be(request.Id);
        json.RootElement.GetProperty("approval").GetProperty("role").GetString().Should().Be("tester");
    }

    private static byte[] Secret => GlobalWebhookBrokerFixture.Secret;
}
