using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Server.Access;

namespace Broker.Server.Composition;

/// <summary>
/// Who sees which session, for every front end: owners see and may end their own; operators see and may end any;
/// observers see every session (and may attach to any) but end only their own. A session the caller may not see is
/// to be reported exactly like one that does not exist.
/// </summary>
internal sealed class SessionVisibility(SessionManager sessions, IAccessPolicy access)
{
    /// <summary>The sessions <paramref name="caller"/> may see, the ended ones too when asked.</summary>
    public IEnumerable<Session> Visible(CallerIdentity caller, bool includeEnded) =>
        sessions.Registry.List(includeEnded).Where(s => MaySee(caller, s));

    /// <summary>The session <paramref name="id"/> names, or null when it does not exist or the caller may not see it.</summary>
    public Session? Find(CallerIdentity caller, string id) =>
        sessions.Registry.Find(id) is { } session && MaySee(caller, session) ? session : null;

    /// <summary>Owners may end their sessions; operators may end any.</summary>
    public bool MayEnd(CallerIdentity caller, Session session) => MayEnd(caller, session.Owner.Issuer, session.Owner.Subject);

    /// <summary>Whether <paramref name="caller"/> may see a session of this owner (one another replica holds, known by its owner only).</summary>
    public bool MaySee(CallerIdentity caller, string ownerIssuer, string ownerSubject) => MayEnd(caller, ownerIssuer, ownerSubject) || access.IsObserver(caller);

    /// <summary>Whether <paramref name="caller"/> sees every identity's sessions (operators and observers), not only its own.</summary>
    public bool SeesEveryone(CallerIdentity caller) => access.IsOperator(caller) || access.IsObserver(caller);

    private bool MayEnd(CallerIdentity caller, string ownerIssuer, string ownerSubject) =>
        (ownerIssuer == caller.Issuer && ownerSubject == caller.Subject) || access.IsOperator(caller);

    private bool MaySee(CallerIdentity caller, Session session) => MaySee(caller, session.Owner.Issuer, session.Owner.Subject);
}
