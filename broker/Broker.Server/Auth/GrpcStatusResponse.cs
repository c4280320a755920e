using System.Text;

namespace Broker.Server.Auth;

/// <summary>
/// A gRPC call refused before its handler runs, answered the way gRPC clients read it: HTTP 200 with
/// <c>grpc-status</c> and <c>grpc-message</c> in the only header block (a trailers-only response).
/// The request body is never read.
/// </summary>
internal static class GrpcStatusResponse
{
    /// <summary>UNAUTHENTICATED.</summary>
    public const int Unauthenticated = 16;

    public static async Task WriteAsync(HttpContext context, int status, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Encode(message);
        await response.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>The gRPC spec's percent-encoding: bytes outside printable ASCII, and '%' itself.</summary>
    private static string Encode(string message)
    {
        var text = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
