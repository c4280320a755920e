namespace Broker.Ssm.Api;

/// <summary>The outcome of an SSM API call: a value, or the service's error code and message.</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="Value">The value, on success.</param>
/// <param name="ErrorCode">The AWS error code (or "SsmUnreachable"), on failure.</param>
/// <param name="Error">What went wrong, on failure.</param>
internal sealed record SsmApiResult<T>(T? Value, string? ErrorCode, string? Error)
{
    /// <summary>Whether the call succeeded.</summary>
    public bool Succeeded => ErrorCode is null;
}

/// <summary>Makes <see cref="SsmApiResult{T}"/> values.</summary>
internal static class SsmApiResult
{
    /// <summary>A success.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The result.</returns>
    public static SsmApiResult<T> Success<T>(T value) => new(value, null, null);

    /// <summary>A failure.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="code">The error code.</param>
    /// <param name="message">The message.</param>
    /// <returns>The result.</returns>
    public static SsmApiResult<T> Failure<T>(string code, string message) => new(default, code, message);

}

/// <summary>What StartSession and ResumeSession return.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="TokenValue">The data channel token (empty from ResumeSession when the session timed out).</param>
/// <param name="StreamUrl">The data channel's WebSocket URL.</param>
internal sealed record SsmStreamSession(string SessionId, string TokenValue, Uri? StreamUrl);

/// <summary>One managed instance as DescribeInstanceInformation lists it.</summary>
/// <param name="InstanceId">The instance id.</param>
/// <param name="PingStatus">Online, ConnectionLost or Inactive.</param>
/// <param name="PlatformType">Linux, Windows or MacOS.</param>
internal sealed record ManagedInstance(string InstanceId, string? PingStatus, string? PlatformType);
