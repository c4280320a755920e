namespace Broker.Core.Accounts;

/// <summary>Which account a target's programs run as. Validated when the configuration loads.</summary>
public abstract record TargetAccount
{
    private TargetAccount()
    {
    }

    /// <summary>
    /// The broker's own account: no operating-system boundary between sessions and the broker (its keys, data and
    /// memory). Only where the configuration says so explicitly.
    /// </summary>
    public sealed record Broker : TargetAccount
    {
        /// <summary>Why the target runs as the broker's account, for the start-up warning.</summary>
        public required string Reason { get; init; }
    }

    /// <summary>One named account for every session of the target (sessions of the target can reach each other).</summary>
    /// <param name="Account">The account.</param>
    public sealed record Fixed(SessionAccount Account) : TargetAccount;

    /// <summary>An account of its own for each session, leased from the broker's pool of session accounts.</summary>
    /// <param name="Settings">The pool.</param>
    public sealed record PerSession(SessionAccountSettings Settings) : TargetAccount;
}
