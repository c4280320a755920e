using Broker.Postgres;

namespace Broker.Approvals.Tests.Stores;

/// <summary>The approval-change notification's payload, read back (no I/O).</summary>
public sealed class ApprovalNotificationPayloadTests
{
    [Theory]
    [InlineData("replica-a apr-0123 7", "replica-a", "apr-0123", 7L)]
    [InlineData("psql on a laptop apr-9 0", "psql on a laptop", "apr-9", 0L)]
    [InlineData(" apr-1 2", "", "apr-1", 2L)]
    public void A_payload_names_its_writer_request_and_version(string payload, string writer, string id, long version) =>
        ApprovalNotifications.Parse(payload).Should().Be((writer, id, version));

    [Theory]
    [InlineData("")]
    [InlineData("apr-1")]
    [InlineData("replica apr-1 seven")]
    [InlineData("replica apr-1 -1")]
    [InlineData("apr-1 2")]
    public void A_payload_in_another_form_is_ignored(string payload) =>
        ApprovalNotifications.Parse(payload).Should().BeNull();
}
