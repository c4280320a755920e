using Broker.Core.Sessions;

namespace Broker.Core.Tests.Sessions;

/// <summary>
/// The echo-stage diagnostic's stamps (BROKER_ECHO_STAGES, docs/BENCHMARKS.md): one key followed at a time, each stage
/// stamped once, another session's stamps ignored, a record kept once its frame is written. The clock is a counter, so
/// every stamp says when it was taken relative to the others.
/// </summary>
public sealed class EchoStageRecorderTests
{
    private long _now;

    private EchoStageRecorder NewRecorder(int capacity = 4) => new(capacity, () => ++_now);

    private static long[][] Lines(EchoStageRecorder recorder)
    {
        using var text = new StringWriter();
        recorder.WriteTo(text);
        return text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => line.Split(' ').Select(long.Parse).ToArray())
            .ToArray();
    }

    [Fact]
    public void Each_stage_of_the_followed_key_is_stamped_in_the_order_it_happened_and_the_record_is_kept_when_the_frame_is_written()
    {
        var recorder = NewRecorder();
        var session = new object();

        recorder.KeyReceived(session);
        foreach (var stage in Enum.GetValues<EchoStages.Stage>().Skip(1))
        {
            recorder.Mark(stage == EchoStages.Stage.PtyRead ? null : session, stage);
        }

        Lines(recorder).Should().ContainSingle().Which.Should().Equal(1, 2, 3, 4, 5, 6, 7);
    }

    [Fact]
    public void Another_sessions_stages_and_a_second_stamp_of_a_stage_do_not_move_the_followed_keys_stamps()
    {
        var recorder = NewRecorder();
        var typing = new object();
        var streaming = new object();

        recorder.KeyReceived(typing);
        recorder.Mark(streaming, EchoStages.Stage.PumpWoke);
        recorder.Mark(typing, EchoStages.Stage.PtyRead);
        recorder.Mark(typing, EchoStages.Stage.PtyRead);
        recorder.Mark(typing, EchoStages.Stage.FrameWritten);

        Lines(recorder).Should().ContainSingle().Which.Should().Equal(1, 0, 2, 0, 0, 0, 3);
    }

    [Fact]
    public void Stages_after_the_frame_was_written_and_before_the_next_key_are_not_recorded()
    {
        var recorder = NewRecorder();
        var session = new object();

        recorder.KeyReceived(session);
        recorder.Mark(session, EchoStages.Stage.FrameWritten);
        recorder.Mark(session, EchoStages.Stage.Queued);
        recorder.Mark(session, EchoStages.Stage.FrameWritten);

        recorder.Count.Should().Be(1);
        Lines(recorder).Should().ContainSingle().Which.Should().Equal(1, 0, 0, 0, 0, 0, 2);
    }

    [Fact]
    public void The_ring_keeps_the_last_records_when_more_echoes_come_than_it_holds()
    {
        var recorder = NewRecorder(capacity: 2);
        var session = new object();

        for (var key = 0; key < 3; key++)
        {
            recorder.KeyReceived(session);
            recorder.Mark(session, EchoStages.Stage.FrameWritten);
        }

        recorder.Count.Should().Be(3);
        Lines(recorder).Select(line => line[0]).Should().BeEquivalentTo([3L, 5L]);
    }
}
