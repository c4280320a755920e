using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Broker.Server.Hosting;

/// <summary>
/// Where Kestrel runs the work of a socket that became readable: by default each connection's reads and writes go
/// through an I/O queue on the thread pool, one more thread hop per keystroke each way. With the switch
/// <see cref="InlineSwitch"/> set in <c>broker.runtimeconfig.json</c> the socket engine's thread runs the HTTP/2 frame
/// work itself (Kestrel's <see cref="SocketTransportOptions.UnsafePreferInlineScheduling"/>); docs/operations.md,
/// "Runtime settings", says when that pays.
/// </summary>
internal static class SocketScheduling
{
    /// <summary>The runtime configuration switch (a <c>configProperties</c> entry) that turns inline scheduling on.</summary>
    public const string InlineSwitch = "Broker.Server.InlineSocketScheduling";

    /// <summary>Whether the switch is on in this process.</summary>
    public static bool Inline => AppContext.TryGetSwitch(InlineSwitch, out var on) && on;

    /// <summary>Applies the switch to Kestrel's socket transport.</summary>
    public static void Configure(SocketTransportOptions options) => options.UnsafePreferInlineScheduling = Inline;
}
