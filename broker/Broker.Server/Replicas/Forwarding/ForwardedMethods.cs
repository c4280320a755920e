using V1 = Broker.Protocol.V1;

namespace Broker.Server.Replicas.Forwarding;

/// <summary>
/// The calls one replica may forward to another, and the header their assertion travels in. A forwarded call is
/// accepted only for these methods, and only about the session its assertion names: an assertion lifted off the wire
/// can repeat that one call for its few seconds, and nothing else (no exec, no shell, no approvals).
/// </summary>
internal static class ForwardedMethods
{
    /// <summary>The request header that carries a forward assertion (in place of <c>authorization</c>).</summary>
    public const string Header = "x-broker-forward";

    /// <summary>The method path of GetSession.</summary>
    public static readonly string GetSession = Path(V1.SessionService.Descriptor, "GetSession");

    /// <summary>The method path of TerminateSession.</summary>
    public static readonly string TerminateSession = Path(V1.SessionService.Descriptor, "TerminateSession");

    /// <summary>The method path of Attach.</summary>
    public static readonly string Attach = Path(V1.RecordingService.Descriptor, "Attach");

    /// <summary>The method path of GetRecording.</summary>
    public static readonly string GetRecording = Path(V1.RecordingService.Descriptor, "GetRecording");

    /// <summary>The method path of StreamRecording.</summary>
    public static readonly string StreamRecording = Path(V1.RecordingService.Descriptor, "StreamRecording");

    /// <summary>The method path of DownloadRecording.</summary>
    public static readonly string DownloadRecording = Path(V1.RecordingService.Descriptor, "DownloadRecording");

    /// <summary>
    /// The session a forwardable request is about, or null when <paramref name="request"/> is not one of the forwardable
    /// requests of <paramref name="method"/> (a streaming request, or any other method).
    /// </summary>
    public static string? SessionOf(string method, object? request) => request switch
    {
        V1.GetSessionRequest r when method == GetSession => r.SessionId,
        V1.TerminateSessionRequest r when method == TerminateSession => r.SessionId,
        V1.AttachRequest r when method == Attach => r.SessionId,
        V1.GetRecordingRequest r when method == GetRecording => r.SessionId,
        V1.StreamRecordingRequest r when method == StreamRecording => r.SessionId,
        V1.DownloadRecordingRequest r when method == DownloadRecording => r.SessionId,
        _ => null,
    };

    private static string Path(Google.Protobuf.Reflection.ServiceDescriptor service, string method) => $"/{service.FullName}/{method}";
}
