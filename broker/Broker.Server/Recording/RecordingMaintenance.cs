namespace Broker.Server.Recording;

/// <summary>
/// Keeps the recording index honest: repairs it from the files when the broker starts, then
/// deletes recordings past their retention on a timer of the broker's clock.
/// </summary>
internal sealed partial class RecordingMaintenance : IHostedService, IDisposable
{
    private readonly RecordingCatalog _catalog;
    private readonly TimeSpan? _retention;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger<RecordingMaintenance> _logger;
    private readonly Lock _gate = new();
    private ITimer? _timer;

    public RecordingMaintenance(RecordingCatalog catalog, TimeSpan? retention, TimeSpan interval, TimeProvider time, ILogger<RecordingMaintenance> logger)
    {
        _catalog = catalog;
        _retention = retention;
        _interval = interval;
        _time = time;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var repaired = await _catalog.RepairAsync(cancellationToken).ConfigureAwait(false);
        if (repaired > 0)
        {
            LogRepaired(_logger, repaired);
        }

        if (_retention is not null)
        {
            Sweep();
            _timer = _time.CreateTimer(static state => ((RecordingMaintenance)state!).Sweep(), this, _interval, _interval);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Deletes what is past retention now; returns how many recordings went.</summary>
    public int Sweep()
    {
        if (_retention is not { } retention)
        {
            return 0;
        }

        // Timer callbacks can overlap on a slow disk; one sweep at a time.
        lock (_gate)
        {
            var deleted = _catalog.DeleteStartedBefore(_time.GetUtcNow() - retention);
            if (deleted > 0)
            {
                LogSwept(_logger, deleted, retention.TotalDays);
            }

            return deleted;
        }
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording index repaired from the files: {Count} rows")]
    private static partial void LogRepaired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} recordings older than the retention of {Days} days")]
    private static partial void LogSwept(ILogger logger, int count, double days);
}
