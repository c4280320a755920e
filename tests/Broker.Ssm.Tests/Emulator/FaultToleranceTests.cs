using System.Text;
using Broker.Core.Targets;
using Broker.Ssm.Tests.Support;
using Broker.DevServices.Ssm;
using Broker.DevServices.Ssm.Faults;

namespace Broker.Ssm.Tests.Emulator;

/// <summary>The data channel under injected faults: output complete and in order, input once and in order.</summary>
public sealed class FaultToleranceTests : IAsyncLifetime
{
    // Resend every expired frame each 20 ms (the agent resends only the oldest each 100 ms, which
    // under 5 % loss of 51 200 frames would take minutes); the client side is what is under test.
    private static readonly SsmEmulatorOptions Brisk = new()
    {
        ResendOldestOnly = false,
        ResendInterval = TimeSpan.FromMilliseconds(20),
        FlushTimeout = TimeSpan.FromMinutes(5),
    };

    private SsmRig? _rig;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    private async Task<SsmRig> RigAsync(SsmEmulatorOptions options) => _rig = await SsmRig.StartAsync(options);


    [Fact]
    public async Task Fifty_megabytes_arrive_complete_and_in_order_under_loss_duplication_and_reordering()
    {
        const int Lines = 6_553_600; // "0000000\n" … "6553599\n": 8 bytes each, 50 MiB.
        var rig = await RigAsync(Brisk with
        {
            DefaultFaults = new FaultSettings { DropOutgoing = 0.05, DuplicateOutgoing = 0.05, ReorderOutgoing = 0.05, DuplicateIncoming = 0.05, Seed = 19 },
        });

        var process = await rig.StartCommandAsync(rig.Target(), new TargetCommand.Argv(["seq", "-w", "0", $"{Lines - 1}"]));
        var digest = StreamDigest.OfAsync(process.Output);
        var exit = await process.Exited.WaitAsync(Waits.Bulk);
        var received = await digest.WaitAsync(Waits.Bulk);

        received.Should().Be(StreamDigest.OfSeq(Lines));
        exit.Code.Should().Be(0);
        var counters = rig.Emulator.Sessions[0].Counters;
        counters.DroppedOutgoing.Should().BeGreaterThan(1000, "about 5 % of 51 200 frames were lost");
        counters.DuplicatedOutgoing.Should().BeGreaterThan(1000);
        counters.Reordered.Should().BeGreaterThan(1000);
        counters.BadDigests.Should().Be(0);
    }

    [Fact]
    public async Task With_the_agents_own_resend_rule_lost_output_still_arrives()
    {
        const int Lines = 131_072; // 1 MiB
        // The agent sends a command's output once it has exited and then gives the client about 2 s to acknowledge it
        // before it closes the channel; repairing losses one frame per 100 ms tick can take longer than that on a busy
        // machine, and what was not repaired by then is lost. The resend rule is under test here, not that deadline.
        var rig = await RigAsync(new SsmEmulatorOptions
        {
            DefaultFaults = new FaultSettings { DropOutgoing = 0.01, ReorderOutgoing = 0.02, Seed = 3 },
            FlushTimeout = Waits.Bulk,
        });

        var process = await rig.StartCommandAsync(rig.Target(), new TargetCommand.Argv(["seq", "-w", "0", $"{Lines - 1}"]));
        var received = await StreamDigest.OfAsync(process.Output).WaitAsync(Waits.Bulk);

        received.Should().Be(StreamDigest.OfSeq(Lines));
        rig.Emulator.Sessions[0].Counters.Resends.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_websocket_cut_mid_output_is_resumed_with_nothing_lost_or_repeated()
    {
        const int Lines = 655_360; // 5 MiB
        var rig = await RigAsync(Brisk with { DefaultFaults = new FaultSettings { CutAfterFrames = 1500 } });

        var process = (Broker.Ssm.Targets.SsmSessionProcess)await rig.StartCommandAsync(rig.Target(), new TargetCommand.Argv(["seq", "-w", "0", $"{Lines - 1}"]));
        var received = await StreamDigest.OfAsync(process.Output).WaitAsync(Waits.Bulk);

        received.Should().Be(StreamDigest.OfSeq(Lines));
        (await process.Exited.WaitAsync(Waits.Step)).Code.Should().Be(0);
        process.Resumes.Should().Be(1);
        var session = rig.Emulator.Sessions[0];
        session.Connections.Should().Be(2);
        rig.Emulator.Calls.Should().ContainSingle(c => c.Operation == "ResumeSession")
            .Which.AccessKeyId.Should().Be(rig.AccessKeyId);
    }

    [Fact]
    public async Task Typed_input_survives_a_websocket_cut_once_and_in_order()
    {
        var rig = await RigAsync(new SsmEmulatorOptions());
        var shell = await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);
        await Keys.TypeAsync(shell, "echo before-cut-$((1+1))\n");
        await output.WaitForAsync("before-cut-2");
        var session = rig.Emulator.Sessions[0];

        session.Cut();
        var typed = "echo after-cut-$((2+1)); echo 'x'y'z'\n";
        foreach (var c in typed)
        {
            await Keys.TypeAsync(shell, c.ToString());
        }

        await output.WaitForAsync("xyz");
        session.Connections.Should().Be(2);
        OutputCollector.Occurrences(output.Text, "after-cut-3").Should().Be(1);
        Encoding.UTF8.GetString(session.InputReceived()).Should().Be("echo before-cut-$((1+1))\n" + typed);
    }

    [Fact]
    public async Task Input_lost_or_duplicated_on_the_way_reaches_the_shell_exactly_once_in_order()
    {
        var rig = await RigAsync(new SsmEmulatorOptions { DefaultFaults = new FaultSettings { DropIncoming = 0.2, DuplicateIncoming = 0.2, Seed = 7 } });
        var shell = await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);
        var typed = "echo " + string.Concat(Enumerable.Range(0, 40).Select(i => $"w{i:D2}")) + " end-of-$((3*5))\n";

        foreach (var c in typed)
        {
            await Keys.TypeAsync(shell, c.ToString());
        }

        await output.WaitForAsync("end-of-15");
        var session = rig.Emulator.Sessions[0];
        Encoding.UTF8.GetString(session.InputReceived()).Should().Be(typed);
        session.Counters.DroppedIncoming.Should().BeGreaterThan(0);
        session.Counters.DuplicateInputs.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Frames_damaged_on_the_way_are_dropped_unacknowledged_and_arrive_intact_when_resent()
    {
        const int Lines = 65_536; // 512 KiB
        var rig = await RigAsync(Brisk with { DefaultFaults = new FaultSettings { CorruptOutgoing = 0.05, Seed = 11 } });

        var process = (Broker.Ssm.Targets.SsmSessionProcess)await rig.StartCommandAsync(rig.Target(), new TargetCommand.Argv(["seq", "-w", "0", $"{Lines - 1}"]));
        var received = await StreamDigest.OfAsync(process.Output).WaitAsync(Waits.Bulk);

        received.Should().Be(StreamDigest.OfSeq(Lines));
        var corrupted = rig.Emulator.Sessions[0].Counters.Corrupted;
        corrupted.Should().BeGreaterThan(0);
        process.RejectedFrames.Should().Be((int)corrupted, "every damaged frame failed its digest check");
    }

    [Fact]
    public async Task Duplicate_output_frames_are_acknowledged_again_so_the_agent_stops_resending_them()
    {
        var rig = await RigAsync(new SsmEmulatorOptions { DefaultFaults = new FaultSettings { DuplicateOutgoing = 1.0 } });

        var process = await rig.StartCommandAsync(rig.Target(), new TargetCommand.Argv(["seq", "-w", "0", "9999"]));
        var received = await StreamDigest.OfAsync(process.Output).WaitAsync(Waits.Bulk);
        await rig.Emulator.Sessions[0].Ended.WaitAsync(Waits.Step);

        received.Should().Be(StreamDigest.OfSeq(10_000));
        var counters = rig.Emulator.Sessions[0].Counters;
        counters.AcksReceived.Should().BeGreaterThan(counters.FramesSent - counters.DuplicatedOutgoing, "duplicates are acknowledged too");
        counters.Unacknowledged.Should().Be(0);
    }

    [Fact]
    public async Task Delayed_frames_and_delayed_acknowledgements_slow_the_session_without_breaking_it()
    {
        var rig = await RigAsync(new SsmEmulatorOptions { DefaultFaults = new FaultSettings { FrameDelay = TimeSpan.FromMilliseconds(40), AckDelay = TimeSpan.FromMilliseconds(400) } });
        var shell = await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);

        await Keys.TypeAsync(shell, "for i in 1 2 3; do echo delayed-$i; done\n");

        await output.WaitForAsync("delayed-3");
        OutputCollector.Occurrences(output.Text, "delayed-1\r\n").Should().Be(1);
    }

    [Fact]
    public async Task Output_held_by_pause_publication_arrives_after_start_publication()
    {
        var rig = await RigAsync(new SsmEmulatorOptions());
        var shell = await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);
        await Keys.TypeAsync(shell, "echo ready-$((1))\n");
        await output.WaitForAsync("ready-1");

        rig.Emulator.Sessions[0].PausePublication(TimeSpan.FromMilliseconds(500));
        await Keys.TypeAsync(shell, "echo paused-$((2))\n");

        await output.WaitForAsync("paused-2");
        OutputCollector.Occurrences(output.Text, "paused-2").Should().Be(1);
    }

    [Fact]
    public async Task A_session_that_timed_out_ends_when_it_cannot_be_resumed()
    {
        var rig = await RigAsync(new SsmEmulatorOptions());
        var shell = await rig.StartTerminalAsync(rig.Target(), SsmRig.Terminal());
        var output = new OutputCollector(shell.Output);
        await Keys.TypeAsync(shell, "echo up-$((1))\n");
        await output.WaitForAsync("up-1");
        var session = rig.Emulator.Sessions[0];
        session.ResumeTimesOut = true;

        session.Cut();

        (await shell.Exited.WaitAsync(Waits.Step)).Code.Should().Be(255);
        await output.Completed.WaitAsync(Waits.Step);
        rig.Emulator.Calls.Should().Contain(c => c.Operation == "ResumeSession");
    }
}
