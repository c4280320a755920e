namespace Broker.Approvals;

/// <summary>
/// An identity as approvals compare them: its issuer and subject. Two tokens with the same pair are the same
/// party, whatever their other claims, so a requester cannot approve its own request with a second token.
/// </summary>
/// <param name="Issuer">The token's issuer.</param>
/// <param name="Subject">The token's <c>sub</c>.</param>
public sealed record ApprovalParty(string Issuer, string Subject)
{
    /// <summary>The party of a validated caller.</summary>
    public static ApprovalParty Of(Broker.Policy.CallerIdentity caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new ApprovalParty(caller.Issuer, caller.Subject);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Subject} ({Issuer})";
}
