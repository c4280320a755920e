using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Broker.Integration.Tests.Recording;

/// <summary>The recording index and RecordingService over real sessions decided by the dev policy.</summary>
public sealed class RecordingServiceTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _broker;

    public RecordingServiceTests(BrokerFixture broker) => _broker = broker;

    private RecordingService.RecordingServiceClient Auditor => _broker.Recordings(_broker.Token("auditor", "observers"));

    [Fact]
    public async Task Index_rows_carry_identity_target_exit_code_and_decision_counts()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var allowed = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("indexed-agent")), "echo", "indexed");
        var denied = await ExecResult.RunScriptAsync(_broker.Client(_broker.Token("indexed-agent")), "cat /proc/self/environ");
        allowed.Exit!.Code.Should().Be(0);
        denied.Exit!.Code.Should().Be(126);

        var rows = (await Auditor.ListRecordingsAsync(new ListRecordingsRequest { Subject = "indexed-agent" }, cancellationToken: cts.Token)).Recordings;
        rows.Should().HaveCount(2);
        var allowedRow = rows.Single(r => r.SessionId == allowed.SessionId);
        allowedRow.Subject.Should().Be("indexed-agent");
        allowedRow.Target.Should().Be("local");
        allowedRow.Kind.Should().Be("exec");
        allowedRow.State.Should().Be(RecordingState.Ended);
        allowedRow.ExitCode.Should().Be(0);
        allowedRow.EndReason.Should().Be("Exited");
        allowedRow.CommandCount.Should().Be(1);
        allowedRow.AllowedCount.Should().Be(1);
        allowedRow.DeniedCount.Should().Be(0);
        allowedRow.SizeBytes.Should().BeGreaterThan(0);
        allowedRow.EndedAt.Should().NotBeNull();
        var deniedRow = rows.Single(r => r.SessionId != allowed.SessionId);
        deniedRow.DeniedCount.Should().Be(1);
        deniedRow.ExitCode.Should().Be(126);
        deniedRow.EndReason.Should().Be("PolicyDenied");
    }

    [Fact]
    public async Task List_filters_by_identity_target_time_denied_and_approval()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var client = _broker.Client(_broker.Token("filtered-agent"));
        var allowed = await ExecResult.RunArgvAsync(client, "echo", "fine");
        (await ExecResult.RunScriptAsync(client, "cat /proc/self/environ")).Exit!.Code.Should().Be(126);
        (await ExecResult.RunAsync(client, new ExecStart { Target = "local", Script = "rm -rf /tmp/never-removed-by-a-test", NoWait = true }, null)).Exit!.Code.Should().Be(75);

        async Task<IReadOnlyList<RecordingSummary>> Rows(ListRecordingsRequest request)
        {
            request.Subject = "filtered-agent";
            return [.. (await Auditor.ListRecordingsAsync(request, cancellationToken: cts.Token)).Recordings];
        }

        async Task<IReadOnlyList<string>> Ids(ListRecordingsRequest request) => [.. (await Rows(request)).Select(r => r.SessionId)];

        (await Ids(new ListRecordingsRequest())).Should().HaveCount(3);
        var denied = (await Rows(new ListRecordingsRequest { HasDenied = true })).Should().ContainSingle().Subject;
        denied.DeniedCount.Should().Be(1);
        denied.ReviewCount.Should().Be(0);
        var review = (await Rows(new ListRecordingsRequest { HasApproval = true })).Should().ContainSingle().Subject;
        review.ReviewCount.Should().Be(1);
        review.DeniedCount.Should().Be(0);
        (await Ids(new ListRecordingsRequest { Target = "elsewhere" })).Should().BeEmpty();
        (await Ids(new ListRecordingsRequest { Target = "local", Limit = 1 })).Should().HaveCount(1);
        (await Ids(new ListRecordingsRequest { StartedFrom = Timestamp.FromDateTimeOffset(before) })).Should().Contain(allowed.SessionId);
        (await Ids(new ListRecordingsRequest { StartedBefore = Timestamp.FromDateTimeOffset(before) })).Should().BeEmpty();
        (await Auditor.ListRecordingsAsync(new ListRecordingsRequest { Subject = "nobody-at-all" }, cancellationToken: cts.Token)).Recordings.Should().BeEmpty();
    }

    [Fact]
    public async Task Get_verifies_the_recording_and_download_returns_the_file_that_verifies_with_the_published_key()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("verified-agent")), "echo", "verified");

        var got = await Auditor.GetRecordingAsync(new GetRecordingRequest { SessionId = result.SessionId }, cancellationToken: cts.Token);
        got.Verification.Status.Should().Be(VerificationStatus.IntactAndSealed);
        got.Recording.Subject.Should().Be("verified-agent");
        got.Roles.Should().Contain("agent");

        var key = (await Auditor.GetPublicKeyAsync(new GetPublicKeyRequest(), cancellationToken: cts.Token)).PublicKeyPem;
        key.Should().Be(await File.ReadAllTextAsync(Path.Combine(_broker.DataDirectory, "recording-key.pub.pem"), cts.Token));
        using var download = Auditor.DownloadRecording(new DownloadRecordingRequest { SessionId = result.SessionId }, cancellationToken: cts.Token);
        using var file = new MemoryStream();
        await foreach (var chunk in download.ResponseStream.ReadAllAsync(cts.Token))
        {
            file.Write(chunk.Chunk.Span);
        }

        file.Position = 0;
        global::Recorder.RecordingVerifier.Verify(file, key).Status.Should().Be(global::Recorder.VerificationStatus.IntactAndSealed);

        using var stream = Auditor.StreamRecording(new StreamRecordingRequest { SessionId = result.SessionId }, cancellationToken: cts.Token);
        var events = new List<RecordingEvent>();
        await foreach (var frame in stream.ResponseStream.ReadAllAsync(cts.Token))
        {
            events.Add(frame.Event);
        }

        events.Where(e => e.EventCase == RecordingEvent.EventOneofCase.Output).SelectMany(e => e.Output.Data.ToByteArray()).Should().Equal(result.Stdout);
        events.Should().ContainSingle(e => e.EventCase == RecordingEvent.EventOneofCase.Command).Which.Command.Text.Should().Be("echo verified");
    }
}
