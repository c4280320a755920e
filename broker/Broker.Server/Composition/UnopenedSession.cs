using Broker.Core.Sessions;
using Broker.Server.Credentials;
using Broker.Server.Recording;

namespace Broker.Server.Composition;

/// <summary>
/// What a session being composed holds before it runs: its admission, its recording, its credential reservation.
/// The one place they are given back when the session does not open: the slot is freed, the credentials endpoint
/// path removed, and the recording ended and sealed with the reason.
/// </summary>
internal sealed class UnopenedSession
{
    private readonly SessionAwsCredentials _credentials;
    private bool _settled;

    public UnopenedSession(string id, SessionSlot slot, SessionAwsCredentials credentials)
    {
        Id = id;
        Slot = slot;
        _credentials = credentials;
    }

    public string Id { get; }

    public SessionSlot Slot { get; }

    /// <summary>The recording, once opened.</summary>
    public RecordingJournal? Journal { get; set; }

    /// <summary>The session opened: what it holds now lives and ends with it.</summary>
    public void Opened(Session session)
    {
        _settled = true;
        _credentials.Bind(Id, session);
    }

    /// <summary>Gives back everything taken so far; the recording (if begun) ends with <paramref name="code"/>, <paramref name="reason"/> and <paramref name="message"/>.</summary>
    public async Task RollBackAsync(int code, SessionEndReason reason, string? message)
    {
        if (_settled)
        {
            return;
        }

        _settled = true;
        Slot.Release();
        _credentials.Release(Id);
        if (Journal is not { } journal || journal.Completion.IsCompleted)
        {
            return;
        }

        if (message is not null)
        {
            journal.Notice(NoticeKind.SessionEnding, message);
        }

        journal.Ended(new SessionEvent.Ended(code, 0, reason));
        await journal.CompleteAsync().ConfigureAwait(false);
    }
}
