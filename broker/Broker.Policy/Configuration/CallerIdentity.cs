namespace Broker.Policy;

/// <summary>A validated caller: its issuer, subject and claims (every claim as a list of strings).</summary>
/// <param name="Issuer">The token's issuer.</param>
/// <param name="Subject">The token's <c>sub</c>.</param>
/// <param name="Claims">All claims; a multi-valued claim (such as <c>groups</c>) has several values.</param>
public sealed record CallerIdentity(string Issuer, string Subject, IReadOnlyDictionary<string, IReadOnlyList<string>> Claims);
