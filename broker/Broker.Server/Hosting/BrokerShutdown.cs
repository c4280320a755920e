using Broker.Core.Sessions;
using Broker.Server.Recording;
using Grpc.Health.V1;
using Grpc.HealthCheck;

namespace Broker.Server.Hosting;

/// <summary>
/// The broker's part of host shutdown: health says not serving, every running session is ended (its client told why,
/// its recording sealed), and sealed recordings finish reaching the disk, all within the host's shutdown timeout
/// (<see cref="ShutdownTimeout"/>, whose token every step honours) rather than blocking a lifetime callback.
/// The work runs in <see cref="StoppingAsync"/>, which the host calls before stopping any hosted service: the web
/// server is one of them and would otherwise wait for the sessions' open calls before they had been ended.
/// </summary>
internal sealed partial class BrokerShutdown(HealthServiceImpl health, SessionManager sessions, RecordingCatalog recordings, ILogger<BrokerShutdown> logger)
    : IHostedLifecycleService
{
    /// <summary>The host's shutdown timeout: all of the broker's shutdown, the web server's included, fits in it.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long running sessions get to end once told to; their processes are killed by then.</summary>
    private static readonly TimeSpan SessionGrace = TimeSpan.FromSeconds(10);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
        try
        {
            await sessions.Registry.TerminateAllAsync("the broker is shutting down", SessionGrace).WaitAsync(cancellationToken).ConfigureAwait(false);
            await recordings.WhenClosedAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's timeout is over: it goes on stopping; what did not reach the disk verifies as truncated.
            LogShutdownTimedOut(logger, ShutdownTimeout.TotalSeconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown took longer than {Seconds} s: sessions or recordings still closing were left")]
    private static partial void LogShutdownTimedOut(ILogger logger, double seconds);
}
