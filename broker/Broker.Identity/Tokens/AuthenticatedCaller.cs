using Broker.Policy;

namespace Broker.Identity.Tokens;

/// <summary>
/// What a validated token establishes: who the caller is and until when the token holds. The identity is the one
/// record policy, approvals and credentials read (<see cref="CallerIdentity"/>, defined by Broker.Policy); the expiry
/// belongs to the token, so it is kept here, next to the identity rather than in it.
/// </summary>
/// <param name="Identity">The caller: the token's issuer, subject and claims.</param>
/// <param name="ExpiresAt">When the token expires (its <c>exp</c>).</param>
public sealed record AuthenticatedCaller(CallerIdentity Identity, DateTimeOffset ExpiresAt);
