using Microsoft.Extensions.Time.Testing;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>
/// The seal is written by the sealer itself when the writer's background task is idle (two thread hops fewer at the
/// end of every session), and handed to the background task when it is busy: either way it comes after every record
/// appended before it, and a failure on the way leaves a recording the verifier can judge.
/// </summary>
public sealed class SealInPlaceTests : IDisposable
{
    private static readonly RecordingWriterOptions Options = new() { SegmentBytes = 4096, LeaveOpen = true };
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task A_seal_while_the_writer_is_idle_is_written_on_the_sealers_own_thread_after_every_record()
    {
        using var destination = new TestStream();
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, Options, new FakeTimeProvider());
        await using (writer)
        {
            writer.AppendOutput(OutputStream.Stdout, "flushed\n"u8);
            await writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            await WaitUntilAsync(() => writer.IsIdle);
            writer.AppendOutput(OutputStream.Stdout, "in the last batch\n"u8);
            writer.AppendExit(0, 0, "Exited");

            int? sealThread = null;
            writer.Signed += (_, signed) =>
            {
                if (signed.IsSeal)
                {
                    sealThread = Environment.CurrentManagedThreadId;
                }
            };
            var caller = Environment.CurrentManagedThreadId;
            var sealing = writer.SealAsync(CancellationToken.None);
            sealThread.Should().Be(caller, "an idle writer's seal is signed and written before SealAsync returns, on the caller's thread");
            await sealing.WaitAsync(TestRecordings.Timeout);
            writer.Seal!.Length.Should().Be(destination.Length, "nothing follows the seal");
        }

        var bytes = destination.Snapshot();
        var result = TestRecordings.Verify(bytes, _key);
        result.Status.Should().Be(VerificationStatus.IntactAndSealed, result.Detail);
        result.VerifiedRecords.Should().Be(3);
        var events = await TestRecordings.ReadAllAsync(bytes);
        events.OfType<OutputEvent>().Select(e => System.Text.Encoding.ASCII.GetString(e.Data.Span)).Should().Equal("flushed\n", "in the last batch\n");
        events[^1].Should().BeOfType<ExitEvent>();
        destination.Flushes.Should().Be(3, "the flush asked for, the seal's, and the file sync after the seal (on the background task)");
    }

    [Fact]
    public async Task A_seal_while_the_writer_is_busy_writing_its_last_work_waits_for_it_and_covers_every_record_in_order()
    {
        using var destination = new TestStream(holdWrites: true);
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, Options, new FakeTimeProvider());
        try
        {
            // The header and the first segment go through; the checkpoint after them is held in the background task's
            // write, with nothing left in its queue.
            destination.ReleaseWrite(2);
            var written = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                written.Add($"before the seal {i}\n");
                writer.AppendOutput(OutputStream.Stdout, System.Text.Encoding.ASCII.GetBytes(written[^1]));
            }

            var flushing = writer.FlushAsync(CancellationToken.None);
            await WaitUntilAsync(() => destination.HeldWrites > 0 && destination.Writes == 2);
            written.Add("in the last batch\n");
            writer.AppendOutput(OutputStream.Stdout, System.Text.Encoding.ASCII.GetBytes(written[^1]));

            // Called apart from the test's thread: a seal that wrote in the busy task's place would block in the held
            // write instead of returning.
            var returned = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
            _ = Task.Run(() => returned.SetResult(writer.SealAsync(CancellationToken.None)));
            var sealing = await returned.Task.WaitAsync(TestRecordings.Timeout);
            sealing.IsCompleted.Should().BeFalse("the seal waits for the checkpoint being written");
            destination.HeldWrites.Should().Be(1, "only the background task writes while it holds its turn");

            destination.ReleaseWrites();
            await flushing.WaitAsync(TestRecordings.Timeout);
            await sealing.WaitAsync(TestRecordings.Timeout);

            var bytes = destination.Snapshot();
            var result = TestRecordings.Verify(bytes, _key);
            result.Status.Should().Be(VerificationStatus.IntactAndSealed, result.Detail);
            result.VerifiedRecords.Should().Be(written.Count);
            var events = await TestRecordings.ReadAllAsync(bytes);
            events.OfType<OutputEvent>().Select(e => System.Text.Encoding.ASCII.GetString(e.Data.Span)).Should().Equal(written);
        }
        finally
        {
            destination.ReleaseWrites();
            await writer.DisposeAsync().AsTask().WaitAsync(TestRecordings.Timeout);
        }
    }

    [Fact]
    public async Task A_disk_that_fills_during_an_in_place_seal_faults_the_seal_and_leaves_the_last_checkpoint_verifiable()
    {
        using var destination = new TestStream();
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, Options, new FakeTimeProvider());
        await using (writer)
        {
            writer.AppendOutput(OutputStream.Stdout, "checkpointed\n"u8);
            await writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            await WaitUntilAsync(() => writer.IsIdle);
            var checkpointed = destination.Length;

            // The last segment fits only in part: the process of writing it is cut where a crash would cut it.
            destination.Capacity = checkpointed + 8;
            writer.AppendOutput(OutputStream.Stdout, "never sealed, a little longer than eight bytes\n"u8);
            var seal = () => writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);

            await seal.Should().ThrowAsync<RecordingFaultException>();
            writer.Seal.Should().BeNull();
            writer.Fault.Should().NotBeNull();
            destination.Length.Should().Be(checkpointed, "the half-written frame is cut off");
        }

        var result = TestRecordings.Verify(destination.Snapshot(), _key);
        result.Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint, result.Detail);
        result.VerifiedRecords.Should().Be(1);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestRecordings.Timeout);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
