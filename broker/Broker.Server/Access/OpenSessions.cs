using System.Collections.Concurrent;
using Broker.Core.Sessions;
using Broker.Policy;

namespace Broker.Server.Access;

/// <summary>
/// The open sessions, each with the identity and target its roles come from, so that a policy reload revokes: every
/// session's roles are derived again from its identity, a session left with no role for its target (or a raw
/// terminal no longer granted) ends with a clear reason, and the others decide their next commands by the new roles.
/// </summary>
internal sealed partial class OpenSessions(ILogger<OpenSessions> logger)
{
    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);

    /// <summary>Tracks <paramref name="session"/> until it ends; returns the holder of its current roles.</summary>
    public SessionRoles Track(Session session, CallerIdentity caller, string target, SessionRoles holder, bool rawTerminal)
    {
        _sessions[session.Id] = new Entry(session, caller, target, holder, rawTerminal);
        _ = session.Completion.ContinueWith(_ => _sessions.TryRemove(session.Id, out Entry? _), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return holder;
    }

    public int Count => _sessions.Count;

    /// <summary>Applies the current policy to every open session; returns how many were ended.</summary>
    public int Reauthorize(IAccessPolicy access)
    {
        var ended = 0;
        foreach (var entry in _sessions.Values)
        {
            if (!entry.Session.IsRunning)
            {
                continue;
            }

            var decision = access.Authorize(entry.Caller, entry.Target);
            string? reason = null;
            if (!decision.Allowed)
            {
                reason = $"policy reloaded: '{entry.Caller.Subject}' no longer has a role for target '{entry.Target}'";
            }
            else if (entry.RawTerminal && !access.Roles(decision.Roles).Any(r => r.Terminal == Policy.TerminalMode.Raw))
            {
                reason = $"policy reloaded: '{entry.Caller.Subject}' may no longer open a raw terminal on '{entry.Target}'";
            }

            if (reason is not null)
            {
                LogRevoked(logger, entry.Session.Id, reason);
                entry.Session.Terminate(SessionEndReason.PolicyDenied, reason);
                ended++;
                continue;
            }

            if (!decision.Roles.SequenceEqual(entry.Roles.Current, StringComparer.Ordinal))
            {
                LogRolesChanged(logger, entry.Session.Id, decision.Roles);
            }

            entry.Roles.Replace(decision.Roles);
        }

        return ended;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} ended by the reloaded policy: {Reason}")]
    private static partial void LogRevoked(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} now holds roles {Roles} under the reloaded policy")]
    private static partial void LogRolesChanged(ILogger logger, string sessionId, IReadOnlyList<string> roles);

    private sealed record Entry(Session Session, CallerIdentity Caller, string Target, SessionRoles Roles, bool RawTerminal);
}
