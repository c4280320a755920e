using System.Diagnostics.CodeAnalysis;

namespace Broker.Identity.Tokens;

/// <summary>The result of validating a token: either the caller it establishes or why it was refused.</summary>
public sealed class TokenValidationOutcome
{
    private TokenValidationOutcome(AuthenticatedCaller? caller, TokenFailureKind failure, string? reason)
    {
        Caller = caller;
        Failure = failure;
        Reason = reason;
    }

    /// <summary>Whether the token was accepted; <see cref="Caller"/> is set exactly then.</summary>
    [MemberNotNullWhen(true, nameof(Caller))]
    [MemberNotNullWhen(false, nameof(Reason))]
    public bool IsSuccess => Caller is not null;

    /// <summary>The caller and the token's expiry, when the token was accepted.</summary>
    public AuthenticatedCaller? Caller { get; }

    /// <summary>The kind of failure; meaningless when <see cref="IsSuccess"/> is true.</summary>
    public TokenFailureKind Failure { get; }

    /// <summary>A short explanation safe to log or return to the caller (it never contains token contents).</summary>
    public string? Reason { get; }

    /// <summary>An accepted token.</summary>
    /// <param name="caller">The caller it establishes.</param>
    /// <returns>The outcome.</returns>
    public static TokenValidationOutcome Success(AuthenticatedCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new TokenValidationOutcome(caller, default, null);
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
    public override string ToString() => IsSuccess ? $"Success({Caller.Identity.Issuer}, {Caller.Identity.Subject})" : $"Failure({Failure}: {Reason})";
}
