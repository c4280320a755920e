using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;

namespace AgentClient.Connection;

/// <summary>A gRPC call's status as HTTP/2 carries it: <c>grpc-status</c> and <c>grpc-message</c> in the trailers (or in the headers of a call refused at once).</summary>
internal static class CallStatus
{
    /// <summary>The status in <paramref name="headers"/>, or null when they carry none.</summary>
    public static Status? From(HttpHeaders headers)
    {
        if (!headers.TryGetValues("grpc-status", out var codes) || codes.FirstOrDefault() is not { } text
            || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            return null;
        }

        var message = headers.TryGetValues("grpc-message", out var messages) ? messages.FirstOrDefault() : null;
        // grpc-message is percent-encoded UTF-8 (the gRPC over HTTP/2 specification).
        return new Status((StatusCode)code, message is null ? string.Empty : Uri.UnescapeDataString(message));
    }

    /// <summary>What an HTTP status other than 200 means for a gRPC call (as Grpc.Net.Client maps it).</summary>
    public static Status FromHttp(HttpStatusCode status) => new(
        status switch
        {
            HttpStatusCode.BadRequest => StatusCode.Internal,
            HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
            HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
            HttpStatusCode.NotFound => StatusCode.Unimplemented,
            HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        },
        $"Bad gRPC response. HTTP status code: {(int)status}");
}
