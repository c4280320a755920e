using System.Diagnostics.CodeAnalysis;

namespace Broker.Identity.Tokens;

/// <summary>The result of validating a token: either the caller's identity or why it was refused.</summary>
public sealed class TokenValidationOutcome
{
    private TokenValidationOutcome(CallerIdentity? identity, TokenFailureKind failure, string? reason)
    {
        Identity = identity;
        Failure = failure;
        Reason = reason;
    }

    /// <summary>Whether the token was accepted; <see cref="Identity"/> is set exactly then.</summary>
    [MemberNotNullWhen(true, nameof(Identity))]
    [MemberNotNullWhen(false, nameof(Reason))]
    public bool IsSuccess => Identity is not null;

    /// <summary>The caller, when the token was accepted.</summary>
    public CallerIdentity? Identity { get; }

    /// <summary>The kind of failure; meaningless when <see cref="IsSuccess"/> is true.</summary>
    public TokenFailureKind Failure { get; }

    /// <summary>A short explanation safe to log or return to the caller (it never contains token contents).</summary>
    public string? Reason { get; }

    /// <summary>An accepted token.</summary>
    /// <param name="identity">The caller it establishes.</param>
    /// <returns>The outcome.</returns>
    public static TokenValidationOutcome Success(CallerIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new TokenValidationOutcome(identity, default, null);
    }

    /// <summary>A refused token.</summary>
    /// <param name="failure">The kind of failure.</param>
    /// <param name="reason">A short explanation without token contents.</param>
    /// <returns>The outcome.</returns>
    public static TokenValidationOutcome Refused(TokenFailureKind failure, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new TokenValidationOutcome(null, failure, reason);
    }

    /// <inheritdoc/>
    public override string ToString() => IsSuccess ? $"Success({Identity.Issuer}, {Identity.Subject})" : $"Failure({Failure}: {Reason})";
}
