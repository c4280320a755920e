namespace Broker.TestSupport.Availability;

/// <summary>
/// Samples a process's resident set in the background while an attack runs and keeps the highest value seen; the
/// kernel's own peak (<c>VmHWM</c>) is read as well when the sampler stops, so a spike between samples still counts.
/// </summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _highest;

    public MemorySampler(int pid)
    {
        _pid = pid;
        Before = ProcessMemory.Resident(pid);
        PeakIsFresh = ProcessMemory.ResetPeak(pid);
        _highest = Before;
        _loop = Task.Run(SampleAsync);
    }

    /// <summary>The resident set when sampling started.</summary>
    public long Before { get; }

    /// <summary>Whether the kernel's peak was reset at the start (else it may hold an earlier, higher peak).</summary>
    public bool PeakIsFresh { get; }

    /// <summary>The highest resident set seen so far.</summary>
    public long Highest => Math.Max(Interlocked.Read(ref _highest), PeakIsFresh ? ProcessMemory.Peak(_pid) : 0);

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = ProcessMemory.Resident(_pid);
                if (now > Interlocked.Read(ref _highest))
                {
                    Interlocked.Exchange(ref _highest, now);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
