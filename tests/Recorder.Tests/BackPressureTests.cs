using Microsoft.Extensions.Time.Testing;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>
/// A writer that falls behind holds the producers that wait for it (the session's output and input)
/// instead of failing; only a destination that takes nothing at all for the stall timeout, or a
/// producer that ignores back-pressure, faults it.
/// </summary>
public sealed class BackPressureTests : IDisposable
{
    private static readonly RecordingWriterOptions Small = new() { SegmentBytes = 4096, MaxPendingBytes = 16384, LeaveOpen = true };
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task A_producer_that_waits_is_held_while_the_writer_is_behind_and_every_byte_is_recorded()
    {
        var time = new FakeTimeProvider();
        using var destination = new TestStream(holdWrites: true);
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, Small, time);
        var written = new List<byte[]>();
        var waited = false;
        await using (writer)
        {
            for (var i = 0; i < 64; i++)
            {
                var wait = writer.WaitForCapacityAsync(CancellationToken.None);
                if (!wait.IsCompleted)
                {
                    waited = true;
                    writer.PendingBytes.Should().BeGreaterThan(Small.MaxPendingBytes);
                    // Nothing completes the wait but the writer catching up: let its writes through.
                    destination.ReleaseWrites();
                    await wait.AsTask().WaitAsync(TestRecordings.Timeout);
                }

                var data = System.Text.Encoding.ASCII.GetBytes($"{i:D4} " + new string((char)('a' + (i % 26)), 3000) + "\n");
                written.Add(data);
                writer.AppendOutput(OutputStream.Stdout, data);
            }

            waited.Should().BeTrue("64 appends of 3 KB outrun a destination that writes nothing");
            destination.ReleaseWrites();
            await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            writer.Fault.Should().BeNull();
        }

        var bytes = destination.Snapshot();
        TestRecordings.Verify(bytes, _key).Status.Should().Be(VerificationStatus.IntactAndSealed);
        var output = (await TestRecordings.ReadAllAsync(bytes)).OfType<OutputEvent>().SelectMany(e => e.Data.ToArray()).ToArray();
        output.Should().Equal(written.SelectMany(d => d));
    }

    [Fact]
    public async Task A_slow_destination_that_keeps_writing_never_faults_however_long_it_takes()
    {
        var time = new FakeTimeProvider();
        using var destination = new TestStream(holdWrites: true);
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, Small with { StallTimeout = TimeSpan.FromSeconds(30), StallClock = time }, time);
        await using (writer)
        {
            var data = new byte[3000];
            for (var i = 0; i < 40; i++)
            {
                writer.AppendOutput(OutputStream.Stdout, data);
            }

            // One frame every 10 s: far longer in all than the stall timeout, never 30 s without a write.
            for (var step = 0; step < 30; step++)
            {
                var before = destination.Writes;
                destination.ReleaseWrite();
                await WaitUntilAsync(() => destination.Writes > before);
                time.Advance(TimeSpan.FromSeconds(10));
                writer.Fault.Should().BeNull($"the destination wrote a frame {step + 1} times, 10 s apart");
            }

            destination.ReleaseWrites();
            await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
        }

        TestRecordings.Verify(destination.Snapshot(), _key).Status.Should().Be(VerificationStatus.IntactAndSealed);
    }

    [Fact]
    public async Task A_destination_that_takes_nothing_for_the_stall_timeout_faults_the_writer_and_frees_its_waiters()
    {
        var time = new FakeTimeProvider();
        using var destination = new TestStream(holdWrites: true);
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, Small with { StallTimeout = TimeSpan.FromSeconds(20), StallClock = time }, time);
        try
        {
            for (var i = 0; i < 40; i++)
            {
                writer.AppendOutput(OutputStream.Stdout, new byte[3000]);
            }

            var wait = writer.WaitForCapacityAsync(CancellationToken.None).AsTask();
            wait.IsCompleted.Should().BeFalse();
            await WaitUntilAsync(() => destination.HeldWrites > 0);
            time.Advance(TimeSpan.FromSeconds(10));
            writer.Fault.Should().BeNull("10 s without a write is not yet a stall");

            time.Advance(TimeSpan.FromSeconds(11));
            var fault = await writer.WhenFaulted.WaitAsync(TestRecordings.Timeout);
            fault.Should().BeOfType<RecordingFaultException>().Which.Message.Should().Contain("made no progress for");
            await wait.WaitAsync(TestRecordings.Timeout);
        }
        finally
        {
            destination.ReleaseWrites();
            await writer.DisposeAsync().AsTask().WaitAsync(TestRecordings.Timeout);
        }
    }

    [Fact]
    public async Task An_idle_writer_is_never_taken_for_a_stalled_one()
    {
        var time = new FakeTimeProvider();
        using var destination = new TestStream();
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, Small with { StallTimeout = TimeSpan.FromSeconds(5), StallClock = time }, time);
        await using (writer)
        {
            writer.AppendOutput(OutputStream.Stdout, "a prompt\n"u8);
            await writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            time.Advance(TimeSpan.FromMinutes(10));
            writer.AppendOutput(OutputStream.Stdout, "ten minutes later\n"u8);
            time.Advance(TimeSpan.FromSeconds(1));
            await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            writer.Fault.Should().BeNull();
        }
    }

    [Fact]
    public async Task A_producer_that_ignores_back_pressure_faults_the_writer_at_the_hard_limit_instead_of_growing_memory()
    {
        var time = new FakeTimeProvider();
        using var destination = new TestStream(holdWrites: true);
        var options = Small with { MaxPendingBytes = 8192 };
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, options, time);
        try
        {
            var data = new byte[4000];
            var appended = 0L;
            while (writer.Fault is null && appended < options.HardPendingBytes * 2)
            {
                writer.AppendOutput(OutputStream.Terminal, data);
                appended += data.Length;
            }

            writer.Fault.Should().BeOfType<RecordingFaultException>().Which.Message.Should().Contain($"fell more than {options.HardPendingBytes} bytes behind");
            writer.PendingBytes.Should().BeLessThanOrEqualTo(options.HardPendingBytes);
            (await writer.WhenFaulted.WaitAsync(TestRecordings.Timeout)).Should().BeSameAs(writer.Fault);
        }
        finally
        {
            destination.ReleaseWrites();
            await writer.DisposeAsync().AsTask().WaitAsync(TestRecordings.Timeout);
        }

        TestRecordings.Verify(destination.Snapshot(), _key).Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint);
    }

    [Fact]
    public async Task The_seal_the_writer_reports_is_what_the_verifier_finds_in_the_file()
    {
        var time = new FakeTimeProvider();
        var destination = new MemoryStream();
        RecordingSeal? seal;
        var writer = RecordingWriter.Create(destination, TestRecordings.Header(), _key, new RecordingWriterOptions { LeaveOpen = true }, time);
        await using (writer)
        {
            TestRecordings.ShellSession(writer, time);
            writer.Seal.Should().BeNull("nothing is sealed yet");
            await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            seal = writer.Seal;
        }

        var bytes = destination.ToArray();
        var result = TestRecordings.Verify(bytes, _key);
        seal.Should().NotBeNull();
        seal!.RecordCount.Should().Be(result.VerifiedRecords);
        seal.ChainHash.ToArray().Should().Equal(result.VerifiedChainHash.ToArray());
        seal.Length.Should().Be(bytes.Length);
    }

    [Fact]
    public void A_command_whose_text_and_facts_exceed_a_record_does_not_fit()
    {
        RecordingWriter.CommandFits(new CommandRecord { Text = "ls -la", Decision = "allow" }).Should().BeTrue();
        RecordingWriter.CommandFits(new CommandRecord { Text = new string('x', RecordingWriter.MaxStructuredPayloadBytes), Decision = "allow" }).Should().BeFalse();
        // Control characters are escaped (\u0001 is six bytes): the text's length in characters is not the measure.
        RecordingWriter.CommandFits(new CommandRecord { Text = new string('\u0001', 200_000), Decision = "allow" }).Should().BeFalse();
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
