using Broker.Server.Composition;
using Grpc.Core;

namespace Broker.Server.Grpc;

/// <summary>The gRPC status of each refusal the composer gives.</summary>
internal static class RefusalMapping
{
    public static RpcException ToRpcException(this SessionRefusal refusal) => new(new Status(
        refusal.Kind switch
        {
            RefusalKind.InvalidRequest => StatusCode.InvalidArgument,
            RefusalKind.UnknownTarget => StatusCode.NotFound,
            RefusalKind.NotPermitted => StatusCode.PermissionDenied,
            RefusalKind.LimitReached => StatusCode.ResourceExhausted,
            RefusalKind.Unavailable => StatusCode.Unavailable,
            _ => StatusCode.FailedPrecondition,
        },
        refusal.Message));
}
