using Grpc.Core;
using Recorder;

namespace AgentClient.Cli;

/// <summary>Exit codes of agent-client's own failures (remote exit codes pass through unchanged).</summary>
internal static class ExitCodes
{
    public const int Usage = 2;
    public const int Unauthenticated = 3;
    public const int PermissionDenied = 4;
    public const int NotFound = 5;
    public const int Unavailable = 6;
    public const int InvalidArgument = 7;
    public const int LimitReached = 8;
    public const int Failed = 9;

    /// <summary>Prints one line naming the problem and returns its exit code.</summary>
    public static int Report(RpcException ex)
    {
        var (code, what) = ex.StatusCode switch
        {
            StatusCode.Unauthenticated => (Unauthenticated, "not authenticated"),
            StatusCode.PermissionDenied => (PermissionDenied, "permission denied"),
            StatusCode.NotFound => (NotFound, "not found"),
            StatusCode.Unavailable => (Unavailable, "broker unavailable"),
            StatusCode.InvalidArgument => (InvalidArgument, "invalid request"),
            StatusCode.ResourceExhausted => (LimitReached, "limit reached"),
            StatusCode.DeadlineExceeded => (Unavailable, "timed out"),
            _ => (Failed, ex.StatusCode.ToString()),
        };
        // The detail is the broker's text, which can quote what a client sent (a target name, a session id).
        Console.Error.WriteLine($"agent-client: {what}: {UntrustedText.Neutralize(ex.Status.Detail)}");
        return code;
    }

    public static int Report(int code, string message)
    {
        Console.Error.WriteLine($"agent-client: {UntrustedText.Neutralize(message)}");
        return code;
    }
}
