namespace Broker.Identity.Tokens;

/// <summary>The authenticated caller, as established by a validated token.</summary>
/// <param name="Issuer">The trusted issuer that signed the token (its <c>iss</c>).</param>
/// <param name="Subject">The token's <c>sub</c>.</param>
/// <param name="Claims">
/// Every scalar or array-of-scalars claim of the token, by name; a string claim has one value,
/// an array claim has one value per element, numbers and booleans are in their JSON text form.
/// </param>
/// <param name="ExpiresAt">When the token expires (its <c>exp</c>).</param>
public sealed record CallerIdentity(
    string Issuer,
    string Subject,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Claims,
    DateTimeOffset ExpiresAt);
