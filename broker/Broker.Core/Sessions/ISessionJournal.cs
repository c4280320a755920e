namespace Broker.Core.Sessions;

/// <summary>
/// The durable reader of a session's event log (the recording). Calls come from the session's
/// own threads and must not block; a journal that can no longer write reports it through
/// <see cref="Faulted"/>, and the session ends rather than run unrecorded. A journal that is
/// behind holds the session through <see cref="WaitForCapacityAsync"/>: the program is then not
/// read (and the client not served) until it has caught up.
/// </summary>
public interface ISessionJournal
{
    /// <summary>Completes with the error once the journal cannot write any more.</summary>
    Task<Exception> Faulted { get; }

    /// <summary>
    /// Completes when the journal can take more: at once unless it is behind. It also completes when
    /// the journal faults (then <see cref="Faulted"/> ends the session), so a waiter is never stranded.
    /// </summary>
    ValueTask WaitForCapacityAsync(CancellationToken cancellationToken);

    /// <summary>Input delivered to the target.</summary>
    void Input(ReadOnlySpan<byte> data);

    /// <summary>Output after filtering, exactly as the client receives it.</summary>
    void Output(OutputChannel channel, ReadOnlySpan<byte> data);

    /// <summary>The terminal changed size.</summary>
    void Resize(int columns, int rows);

    /// <summary>A notice sent to the client.</summary>
    void Notice(NoticeKind kind, string message);

    /// <summary>The session ended.</summary>
    void Ended(SessionEvent.Ended ended);

    /// <summary>Writes what is pending and seals the journal.</summary>
    Task CompleteAsync();
}

/// <summary>A journal that keeps nothing, for sessions whose caller records elsewhere (and for tests).</summary>
public sealed class DiscardingJournal : ISessionJournal
{
    /// <summary>The shared instance.</summary>
    public static DiscardingJournal Instance { get; } = new();

    /// <inheritdoc/>
    public Task<Exception> Faulted { get; } = new TaskCompletionSource<Exception>().Task;

    /// <inheritdoc/>
    public ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public void Input(ReadOnlySpan<byte> data)
    {
    }

    /// <inheritdoc/>
    public void Output(OutputChannel channel, ReadOnlySpan<byte> data)
    {
    }

    /// <inheritdoc/>
    public void Resize(int columns, int rows)
    {
    }

    /// <inheritdoc/>
    public void Notice(NoticeKind kind, string message)
    {
    }

    /// <inheritdoc/>
    public void Ended(SessionEvent.Ended ended)
    {
    }

    /// <inheritdoc/>
    public Task CompleteAsync() => Task.CompletedTask;
}
