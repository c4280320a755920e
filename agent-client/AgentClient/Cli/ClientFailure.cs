using AgentClient.Connection;
using AgentClient.Terminal;
using Grpc.Core;
using Recorder;

namespace AgentClient.Cli;

/// <summary>Exit codes of agent-client's own failures (remote exit codes pass through unchanged); docs/cli.md lists them.</summary>
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

    /// <summary><c>shell</c>: the user ended the session with the <c>~.</c> escape.</summary>
    public const int ClosedByEscape = 10;

    /// <summary><c>sessions terminate</c>: the session had already ended; nothing was killed.</summary>
    public const int AlreadyEnded = 11;

    /// <summary><c>approvals wait</c>: the request was denied.</summary>
    public const int ApprovalDenied = 12;

    /// <summary><c>approvals wait</c>: the request expired (no decision in time, or the approval was not used in its window).</summary>
    public const int ApprovalExpired = 13;

    /// <summary><c>approvals wait</c>: the request was withdrawn (by its requester, or because its session ended).</summary>
    public const int ApprovalWithdrawn = 14;

    /// <summary><c>approvals wait --timeout</c>: still pending when the wait ended (as sysexits' EX_TEMPFAIL).</summary>
    public const int StillPending = 75;

    /// <summary>Prints one line naming the problem (and, for a broker it cannot reach, the URL and why) and returns its exit code.</summary>
    public static async Task<int> ReportAsync(RpcException ex, Uri broker)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (await ConnectionFailure.ExplainAsync(ex, broker).ConfigureAwait(false) is { } unreachable)
        {
            return Report(Unavailable, unreachable);
        }

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
        return Report(code, $"{what}: {ex.Status.Detail}");
    }

    public static int Report(int code, string message)
    {
        StandardStreams.Err.WriteLine($"agent-client: {UntrustedText.Neutralize(message)}");
        return code;
    }
}
