namespace Broker.Policy;

/// <summary>
/// The caller, as established by a validated token: the one identity record that policy, approvals, credentials and
/// the server read. The token's expiry is not part of it (a caller named for a policy check has no token); Broker.Identity
/// carries it beside the identity.
/// </summary>
/// <param name="Issuer">The trusted issuer that signed the token (its <c>iss</c>).</param>
/// <param name="Subject">The token's <c>sub</c>.</param>
/// <param name="Claims">
/// Every scalar or array-of-scalars claim of the token, by name; a string claim has one value, an array claim (such
/// as <c>groups</c>) has one value per element, numbers and booleans are in their JSON text form.
/// </param>
public sealed record CallerIdentity(string Issuer, string Subject, IReadOnlyDictionary<string, IReadOnlyList<string>> Claims);
