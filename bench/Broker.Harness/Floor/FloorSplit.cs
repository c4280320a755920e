namespace Broker.Harness.Floor;

/// <summary>
/// What a key costs the broker (CPU per key, or switches per key), split by the transport floor's servers: (a) gRPC over
/// Kestrel's HTTP/2 alone, the <c>grpc-echo</c> server's figure; (b) what a PTY round trip adds, <c>grpc-pty</c>'s less
/// <c>grpc-echo</c>'s; (c) what the broker's own pipeline (session, policy, masking, recording, observers) adds, the
/// broker's less <c>grpc-pty</c>'s. The parts add up to the broker's figure. A part can come out negative when two runs'
/// noise is larger than the part.
/// </summary>
internal readonly record struct FloorSplit(double Transport, double Pty, double Pipeline)
{
    /// <summary>The broker's whole figure: the three parts together.</summary>
    public double Broker => Transport + Pty + Pipeline;

    /// <summary>The transport's share of the broker's figure (0 to 1 when every part is positive).</summary>
    public double TransportShare => Broker == 0 ? double.NaN : Transport / Broker;

    /// <summary>The split of three figures of one kind, or null when any is missing.</summary>
    public static FloorSplit? Of(double? echo, double? pty, double? broker) =>
        echo is { } e && pty is { } p && broker is { } b && !double.IsNaN(e + p + b) ? new FloorSplit(e, p - e, b - p) : null;
}
