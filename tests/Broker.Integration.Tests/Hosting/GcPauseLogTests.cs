using System.Globalization;
using Broker.Server.Hosting;

namespace Broker.Integration.Tests.Hosting;

/// <summary>
/// The opt-in log of the broker's GC pauses (BROKER_GC_PAUSE_LOG), which the benchmark lines up with its slowest echoes:
/// a pause missing, or stamped on another clock, would make the broker's share of the tail look smaller than it is.
/// </summary>
public sealed class GcPauseLogTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("gc-pause-log-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_forced_full_collection_is_logged_with_its_generation_and_a_wall_clock_start()
    {
        var path = Path.Combine(_directory, "pauses");
        var before = DateTime.UtcNow;
        using var log = new GcPauseLog(path);

        // The runtime's events reach a listener on a dispatch thread some time after they happen: collect until a
        // generation-2 line shows, within a bound.
        var deadline = DateTime.UtcNow + s_wait;
        string[] full = [];
        while (full.Length == 0 && DateTime.UtcNow < deadline)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            await Task.Delay(TimeSpan.FromMilliseconds(50));
            full = [.. Lines(path).Where(l => l.EndsWith(" 2", StringComparison.Ordinal))];
        }

        full.Should().NotBeEmpty("a blocking gen2 collection stops every thread, and the log is on");
        var fields = full[0].Split(' ');
        fields.Should().HaveCount(3);
        var start = DateTime.UnixEpoch.AddTicks(long.Parse(fields[0], CultureInfo.InvariantCulture) * TimeSpan.TicksPerMicrosecond);
        start.Should().BeOnOrAfter(before.AddSeconds(-1), "the start is on the wall clock other processes read too")
            .And.BeOnOrBefore(DateTime.UtcNow.AddSeconds(1));
        long.Parse(fields[1], CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public void The_log_is_off_unless_its_variable_names_a_file()
    {
        // The variable is the only switch: the test process runs without it, so no listener is made for it.
        Environment.GetEnvironmentVariable(GcPauseLog.Variable).Should().BeNullOrEmpty();
        GcPauseLog.FromEnvironment().Should().BeNull();
    }

    [Fact]
    public void A_line_carries_start_and_length_in_microseconds_and_the_generation()
    {
        var start = DateTime.UnixEpoch.AddSeconds(1_800_000_000).AddTicks(15);
        var end = start.AddTicks(12_345_670);

        GcPauseLog.Line(start, end, 0).Should().Be("1800000000000001 1234567 0");
    }

    private static string[] Lines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
