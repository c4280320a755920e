using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.TestSupport.Availability;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Broker.Integration.Tests.Limits;

/// <summary>
/// Issue 12's line-mode input flood at full size: 20,000 frames of 60 KB of newlines sent to a line-mode session while
/// <c>tail -f /dev/null</c> runs (a program that never reads its terminal). The broker queues a bounded amount and
/// then stops reading the stream, so HTTP/2 flow control holds the client: the memory of the process hosting the
/// broker (this test process, client included) is sampled throughout and stays bounded, and the broker goes on serving.
/// </summary>
[Collection(FloodRunsAlone.Name)]
public sealed class LineModeInputFloodTests : IClassFixture<BrokerFixture>
{
    private const int Frames = 20_000;
    private const int FrameBytes = 60 * 1000;

    // The issue saw 332 MB grow to 1.5 GB, never given back; a flood held by flow control costs a few windows.
    private const long GrowthBound = 256L * 1024 * 1024;

    private readonly BrokerFixture _broker;
    private readonly ITestOutputHelper _output;

    public LineModeInputFloodTests(BrokerFixture broker, ITestOutputHelper output)
    {
        _broker = broker;
        _output = output;
    }

    [Fact]
    public async Task Twenty_thousand_60_KB_frames_of_newlines_to_a_program_that_never_reads_hold_the_client_and_keep_memory_bounded()
    {
        var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"flood-{Guid.NewGuid():n}")));
        var sent = 0;
        long peak, before;
        try
        {
            await terminal.WaitForOutputAsync("$ ");
            terminal.Notices[0].Message.Should().StartWith("line mode");
            await terminal.SendAsync("echo sta''rted; tail -f /dev/null\r");
            await terminal.WaitForOutputAsync("started\r\n");

            var frame = new InteractRequest { Input = ByteString.CopyFrom(Enumerable.Repeat((byte)'\n', FrameBytes).ToArray()) };
            await using (var memory = new MemorySampler(Environment.ProcessId))
            {
                var flood = Task.Run(async () =>
                {
                    for (var i = 0; i < Frames; i++)
                    {
                        await terminal.SendAsync(frame);
                        Interlocked.Increment(ref sent);
                    }
                });

                await WaitUntilHeldOrSentAsync(flood, () => Volatile.Read(ref sent));
                before = memory.Before;
                peak = memory.Highest;
            }

            _output.WriteLine($"line-mode flood: {Volatile.Read(ref sent)} of {Frames} frames of {FrameBytes} bytes taken; process RSS {ProcessMemory.Describe(before)} before, peak {ProcessMemory.Describe(peak)}");
        }
        finally
        {
            // The agent leaves with its flood still pending: the session ends and the held writes are cancelled.
            await terminal.DisposeAsync();
        }

        ((long)Volatile.Read(ref sent) * FrameBytes).Should().BeLessThan(64L * 1024 * 1024, "nothing reads the input, so the broker holds the client after a bounded queue and the flow-control windows");
        (peak - before).Should().BeLessThan(GrowthBound, "the broker keeps a bounded amount of unread input");
        var after = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("after-flood")), "echo", "still-serving");
        after.StdoutText.Should().Be("still-serving\n");
    }

    /// <summary>
    /// Returns once every frame was taken or the sender has made no progress for a while (it is held by flow control;
    /// nothing the test can see from outside marks that moment, so a pause in progress stands for it). Either way the
    /// memory measured until then is what the flood cost.
    /// </summary>
    private static async Task WaitUntilHeldOrSentAsync(Task flood, Func<int> sent)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var last = -1;
        var still = 0;
        while (!flood.IsCompleted && still < 15)
        {
            await Task.Delay(200, limit.Token);
            var now = sent();
            still = now == last ? still + 1 : 0;
            last = now;
        }

        if (flood.IsFaulted)
        {
            await flood;
        }
    }
}

/// <summary>The flood measures the whole test process's memory: it runs after the parallel tests, on its own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FloodRunsAlone
{
    public const string Name = "line-mode input flood (not parallel)";
}
