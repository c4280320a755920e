using Broker.Server.Auth;

namespace Broker.Server.Hosting;

/// <summary>
/// Refuses gRPC requests whose messages are compressed, before any body is read: a compressed message
/// is inflated in memory whole, so a few KiB (even to the unauthenticated health service) could
/// become megabytes. No broker client compresses its requests.
/// </summary>
internal static class CompressedRequestRefusal
{
    private const int Unimplemented = 12;

    public static IApplicationBuilder UseCompressedRequestRefusal(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var encoding = context.Request.Headers["grpc-encoding"].ToString();
        if (encoding.Length > 0 && !string.Equals(encoding, "identity", StringComparison.Ordinal))
        {
            await GrpcStatusResponse.WriteAsync(context, Unimplemented, $"compressed requests (grpc-encoding: {encoding}) are not accepted; send messages uncompressed").ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    });
}
