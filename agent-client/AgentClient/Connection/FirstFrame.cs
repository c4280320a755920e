using Grpc.Core;

namespace AgentClient.Connection;

/// <summary>Sends the frame that opens a streaming call.</summary>
internal static class FirstFrame
{
    /// <summary>
    /// Writes <paramref name="frame"/>. A broker that refuses the call at once (a bad token, an
    /// unknown target) may end it while the frame is still being sent; the write then fails with a
    /// transport status such as CANCELLED, while the real one (UNAUTHENTICATED, NOT_FOUND) arrives on
    /// the response. So a failed write is not reported here: reading the response reports it.
    /// </summary>
    public static async Task SendAsync<T>(IClientStreamWriter<T> requests, T frame, CancellationToken cancellationToken)
    {
        try
        {
            await requests.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // The call is over; its status comes with the response.
        }
    }
}
