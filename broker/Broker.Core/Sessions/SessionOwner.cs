namespace Broker.Core.Sessions;

/// <summary>The identity a session belongs to.</summary>
/// <param name="Issuer">Token issuer.</param>
/// <param name="Subject">Token subject.</param>
public sealed record SessionOwner(string Issuer, string Subject)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Subject} ({Issuer})";
}
