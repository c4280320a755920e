using Broker.Identity.Tokens;

namespace Broker.Identity.Cluster;

/// <summary>
/// One call a replica forwards to the replica that holds a session: who asked (the caller the forwarding replica
/// authenticated from the caller's own token), which gRPC method, about which session, and which replica forwarded it.
/// The holder re-applies its own authorization to <see cref="Caller"/>, exactly as for a call made to it directly.
/// </summary>
/// <param name="Caller">The caller the forwarding replica authenticated, with its token's expiry.</param>
/// <param name="Method">The gRPC method path the assertion allows (<c>/broker.v1.SessionService/GetSession</c>).</param>
/// <param name="SessionId">The one session the call may be about.</param>
/// <param name="ForwardedBy">The id of the replica that forwarded it (the assertion's issuer).</param>
public sealed record ForwardedCall(AuthenticatedCaller Caller, string Method, string SessionId, string ForwardedBy);

/// <summary>A checked forward assertion: the call it allows, or why it was refused (never the assertion's contents).</summary>
/// <param name="Call">The call, when the assertion was accepted.</param>
/// <param name="Refusal">Why it was refused, when it was not.</param>
public sealed record ForwardValidation(ForwardedCall? Call, string? Refusal)
{
    /// <summary>A refusal.</summary>
    public static ForwardValidation Refused(string reason) => new(null, reason);
}
