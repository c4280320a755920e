using Grpc.Core;

namespace AgentClient.Connection;

/// <summary>
/// Writes a streaming call's request frames for several producers (the input pump, window
/// resizes, token renewals): a gRPC stream allows one pending write at a time. Once the call is
/// over, writes are dropped, since its status arrives with the response.
/// </summary>
internal sealed class RequestWriter<T>(IClientStreamWriter<T> requests) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Writes <paramref name="frame"/>; false when the call is already over.</summary>
    public async Task<bool> WriteAsync(T frame, CancellationToken cancellationToken)
    {
        try
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        try
        {
            await requests.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
