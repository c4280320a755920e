using Recorder;

namespace Broker.Server.Recording;

/// <summary>Closing the recording: the seal after the last record, then the file closed.</summary>
internal sealed partial class RecordingJournal
{
    public async Task CompleteAsync()
    {
        bool closing;
        lock (_live)
        {
            closing = _closed;
            _closed = true;
        }

        if (closing)
        {
            // Closed once: a second close (an error path after the first) waits for the first.
            await Completion.ConfigureAwait(false);
            return;
        }

        var sealedOk = false;
        try
        {
            await _writer.SealAsync(CancellationToken.None).ConfigureAwait(false);
            sealedOk = true;
        }
        catch (Exception ex) when (ex is RecordingFaultException or IOException)
        {
            LogSealFailed(_logger, Path, ex.Message);
        }
        finally
        {
            // The file is complete for every reader once sealed; getting it onto the disk goes on
            // without holding up the end of the session.
            WriterClosed = CloseWriterAsync(reportFault: sealedOk);
            RecordingSubscription[] subscribers;
            lock (_live)
            {
                subscribers = _subscribers;
                _subscribers = [];
            }

            foreach (var subscriber in subscribers)
            {
                subscriber.Complete();
            }

            try
            {
                _completed?.Invoke(this);
            }
            finally
            {
                _completion.TrySetResult();
            }
        }
    }

    /// <summary>Completes once the sealed recording is on disk and its file closed.</summary>
    public Task WriterClosed { get; private set; } = Task.CompletedTask;

    private async Task CloseWriterAsync(bool reportFault)
    {
        try
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // Closing the file failed after the seal was handed to the system: the disk may not have it.
            LogSealFailed(_logger, Path, ex.Message);
            return;
        }

        if (reportFault && _writer.Fault is { } fault)
        {
            LogSealFailed(_logger, Path, fault.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Recording {Path} could not be sealed: {Reason}")]
    private static partial void LogSealFailed(ILogger logger, string path, string reason);
}
