using System.Diagnostics.CodeAnalysis;

namespace Broker.Identity.Aws;

/// <summary>Credentials for a session, or a clear reason why there are none.</summary>
public sealed class CredentialOutcome
{
    private CredentialOutcome(SessionCredentials? credentials, string? error, string? errorCode)
    {
        Credentials = credentials;
        Error = error;
        ErrorCode = errorCode;
    }

    /// <summary>Whether credentials were obtained.</summary>
    [MemberNotNullWhen(true, nameof(Credentials))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Credentials is not null;

    /// <summary>The credentials, on success.</summary>
    public SessionCredentials? Credentials { get; }

    /// <summary>On failure, a message fit for the client: it names the role ARN and the STS error code.</summary>
    public string? Error { get; }

    /// <summary>On failure, the STS error code (e.g. <c>AccessDenied</c>) or a broker code such as <c>StsUnreachable</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>Credentials obtained.</summary>
    /// <param name="credentials">The credentials.</param>
    /// <returns>The outcome.</returns>
    public static CredentialOutcome Success(SessionCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return new CredentialOutcome(credentials, null, null);
    }

    /// <summary>No credentials.</summary>
    /// <param name="errorCode">The STS or broker error code.</param>
    /// <param name="error">The message for the client.</param>
    /// <returns>The outcome.</returns>
    public static CredentialOutcome Failure(string errorCode, string error)
    {
        ArgumentException.ThrowIfNullOrEmpty(errorCode);
        ArgumentException.ThrowIfNullOrEmpty(error);
        return new CredentialOutcome(null, error, errorCode);
    }

    /// <inheritdoc/>
    public override string ToString() => IsSuccess ? $"Success({Credentials})" : $"Failure({ErrorCode}: {Error})";
}
